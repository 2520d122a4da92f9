"""The `influgraph` command line: a thin click layer over the library.

Conventions for every command: `--json` prints machine-readable output on stdout (human text
otherwise); progress goes to stderr (`progress.Reporter`: a bar on a terminal, a line per slow step
otherwise, nothing with --json); errors are one line on stderr
(`error: where: what (fix)`) with exit codes 0 ok, 1 internal error, 2 bad input or usage,
3 interrupted and resumable, 4 authentication, 5 upstream unavailable. `--debug` (or
INFLUGRAPH_DEBUG=1) shows the traceback of an internal error.

Only this module reads environment variables: settings through click's `envvar=` (flag >
variable > default, and the help names the variable), and the crawl's secrets in
`crawl_environment`, which are never flags so that they stay out of shell histories and process
lists. The library takes all of them as parameters.
"""
from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from .errors import (EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, AuthError, BadInput, InflugraphError, Interrupted,
                     name_parameters)
from .progress import Reporter  # progress of long steps: one way for the whole CLI

__all__ = ["main"]

DEFAULT_WORKSPACE = "influgraph-workspace"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _said(text: str) -> str:
    """A library note or warning as the CLI prints it: one line, its backticked parameters as flags."""
    return _one_line(name_parameters(str(text), flag))


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(code)


# Where `influgraph crawl` reads what the library takes as parameters: per platform, the API URL and the secrets.
CRAWL_VARIABLES = {
    "x": {"api_url": ("INFLUGRAPH_X_API_URL",), "token": ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN")},
    "bluesky": {"api_url": ("INFLUGRAPH_BLUESKY_API_URL",), "token": ("BLUESKY_ACCESS_TOKEN",),
                "credentials": ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")},
    "mastodon": {"api_url": ("INFLUGRAPH_MASTODON_INSTANCE",), "token": ("MASTODON_ACCESS_TOKEN",)},
}
# library parameters whose flag is not `--` + the name with '-' for '_'; the crawl's secrets have no flag
# (see crawl_environment): their word is the environment variables they are read from
FLAGS = {"workspace": "-w/--workspace", "fmt": "--format", "out_dir": "--out", "resolutions": "--sweep",
         "min_size": "--min-community-size", "z": "--spike-z", "min_jump": "--spike-min-jump", "min_share": "--spike-min-share",
         "tier": "--x-tier", "prices": "--price",
         **{secret: "/".join(name for per in CRAWL_VARIABLES.values() for name in per.get(secret, ()))
            for secret in ("token", "credentials")}}


SEED = click.IntRange(0, 2**32 - 1)  # every seed option: numpy's and igraph's generators take 0..2^32-1


def flag(parameter: str) -> str:
    """The command-line flag that sets a library parameter (`max_per_community` -> `--max-per-community`).

    A parameter no command has a flag for keeps its library name in backticks.
    """
    if parameter in FLAGS:
        return FLAGS[parameter]
    option = "--" + parameter.replace("_", "-")
    return option if option in _options() else f"`{parameter}`"


@functools.cache
def _options() -> frozenset[str]:
    """Every option flag of every command (the commands are fixed once this module is loaded)."""
    return frozenset(name for command in main.commands.values() for param in command.params for name in param.opts)


class InflugraphGroup(click.Group):
    """A click group that turns every failure into one line on stderr and a documented exit code."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("INFLUGRAPH_DEBUG") == "1"
        try:
            result = super().main(args=argv, prog_name=prog_name or "influgraph", complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except InflugraphError as exc:
            _fail(exc.one_line(flag), exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            _fail("interrupted; nothing was committed by the step in progress, re-run to resume", EXIT_INTERRUPTED)
        except click.ClickException as exc:
            where = f" (see 'influgraph {exc.ctx.info_name} --help')" if getattr(exc, "ctx", None) and exc.ctx.info_name != "influgraph" else " (see 'influgraph --help')"
            _fail(exc.format_message() + where, EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            _fail("interrupted; re-run to resume", EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.exit(EXIT_OK)
        except Exception as exc:  # an internal error: a bug in influgraph
            if debug:
                traceback.print_exc()
            _fail(f"internal error: {exc.__class__.__name__}: {exc} (re-run with --debug for a traceback, and please report it)",
                  EXIT_INTERNAL)
        sys.exit(result if isinstance(result, int) else EXIT_OK)


def workspace_option(function: Callable) -> Callable:
    """`-w/--workspace`, shared by every command that reads or writes a workspace."""
    return click.option(
        "-w", "--workspace", "workspace", type=click.Path(file_okay=False), default=DEFAULT_WORKSPACE,
        envvar="INFLUGRAPH_WORKSPACE", help="Workspace folder [default: $INFLUGRAPH_WORKSPACE, else ./influgraph-workspace].",
    )(function)


def engine_option(function: Callable) -> Callable:
    """`--engine local|spark` (where the workspace-wide computations run) and `--spark-master`."""
    function = click.option(
        "--spark-master", default=None, envvar="INFLUGRAPH_SPARK_MASTER", metavar="URL",
        help="Cluster of --engine spark: local[2], spark://host:7077, yarn, k8s://... "
             "[default: $INFLUGRAPH_SPARK_MASTER, else local[2]].",
    )(function)
    return click.option(
        "--engine", default="local", show_default=True, type=click.Choice(["local", "spark"]),
        help="spark: run PageRank, degrees, components and overlaps as pyspark jobs on the --spark-master cluster "
             "(pip install 'influgraph[spark]').",
    )(function)


@contextmanager
def open_engine(name: str, workspace: Any, platform: str | None = None, master: str | None = None) -> Iterator[Any]:
    """None for the local engine, else a running SparkEngine (on `master`) that stops when the block ends."""
    if name != "spark":
        yield None
        return
    from .engines.spark import SparkEngine

    with SparkEngine(workspace, platform=platform, master=master) as engine:
        yield engine


def json_option(function: Callable) -> Callable:
    """`--json`: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")(function)


def niche_options(function: Callable) -> Callable:
    """`--niche NAME`, `--query FILE.toml` and `--queries-dir`, shared by the commands that work on one niche."""
    for option in reversed([
        click.option("--niche", default=None, help="Name of a niche query in the queries folder."),
        click.option("--query", "query_file", default=None, type=click.Path(dir_okay=False), help="A niche query TOML file."),
        click.option("--queries-dir", default="queries", show_default=True, type=click.Path(file_okay=False),
                     help="Where --niche looks for niche queries."),
    ]):
        function = option(function)
    return function


def window_options(function: Callable) -> Callable:
    """`--since`, `--until` (one window) and `--window` (a series), for rank, communities and stats."""
    for option in reversed([
        click.option("--since", default=None, help="Only the window from this time (ISO date or time, UTC)."),
        click.option("--until", default=None, help="Only the window before this time (ISO date or time, UTC)."),
        click.option("--window", default=None, help="A series of windows of this length (7d, 12h, 2w) from --since to --until."),
    ]):
        function = option(function)
    return function


def _windowed(ws: Any, since: str | None, until: str | None, engine: str = "local") -> Any:
    """The workspace, or its batch as of the window --since/--until (`windows.window_batch`)."""
    if since is None and until is None:
        return ws
    if engine == "spark":
        raise click.UsageError("--engine spark reads the whole workspace; it cannot run on --since/--until windows")
    from .windows import window_batch

    return window_batch(ws, since, until)


def _window_line(start: Any, end: Any, text: str) -> str:
    return f"window {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}: {text}"


def load_niche(niche: str | None, query_file: str | None, queries_dir: str):
    """The niche query named by --niche or --query (exactly one of them)."""
    from .niches import find_query, load_query

    if bool(niche) == bool(query_file):
        raise click.UsageError("give exactly one of --niche NAME or --query FILE.toml")
    return load_query(query_file) if query_file else find_query(niche, queries_dir)


def emit_json(data: Any) -> None:
    """Print `data` as JSON on stdout, text kept byte-exact; NaN and infinities as null (`jsonout.dumps`)."""
    from .jsonout import dumps

    click.echo(dumps(data))


def show_progress() -> bool:
    """Progress bars only when stderr is a terminal."""
    return sys.stderr.isatty()


@click.group(cls=InflugraphGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="influgraph")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def main(debug: bool) -> None:
    """influgraph: find the people who really move a niche.

    Ranks accounts by influence within a niche (not reach), from follower and interaction graphs.

    \b
    Examples:
      influgraph demo                          # the whole pipeline on a simulated world
      influgraph import tweets.jsonl edges.csv -w my-ws
      influgraph stats -w my-ws --json
    """


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@workspace_option
@click.option("--format", "fmt", default=None, metavar="FORMAT",
              help="x-json, bluesky-json, mastodon-json, csv, tsv, parquet, snap, graphml, gexf or gml "
              "[default: detected from content].")
@click.option("--platform", default=None, help="Platform label of the rows [default: x for X JSON, generic for edge lists].")
@click.option("--kind", default=None, help="Edge kind for edge lists without a kind column [default: follow].")
@click.option("--reverse", is_flag=True, help="Rows mean 'target acted toward source' (e.g. 'A -> B: B reposted A').")
@click.option("--source-col", default=None, help="Column of the acting account (name, or 1-based position).")
@click.option("--target-col", default=None, help="Column of the account acted toward.")
@click.option("--kind-col", default=None, help="Column with the edge kind (retweet, reply, ... are understood).")
@click.option("--weight-col", default=None, help="Column with a positive weight (count) per row.")
@click.option("--time-col", default=None, help="Column with a unix time or ISO-8601 timestamp.")
@click.option("--text-col", default=None, help="Column with the text the interaction is about.")
@click.option("--hashtags-col", default=None, help="Column with hashtags ('6+' = column 6 and all after it).")
@click.option("--post-col", default=None, help="Column with the id of the post the interaction is about.")
@click.option("--delimiter", default=None, help="Field delimiter for CSV/TSV [default: from the format].")
@click.option("--dataset", default=None, help="Label of an edge list's rows [default: the file name].")
@click.option("--skip-bad-rows", is_flag=True, help="Skip malformed rows and report how many, instead of failing.")
@json_option
def import_command(paths: tuple[str, ...], workspace: str, fmt: str | None, as_json: bool, **columns: Any) -> None:
    """Import files into the workspace (format detected from content).

    Reads X API v2 JSON/JSONL pages (as twarc2 and tweepy write them), CSV/TSV/Parquet edge
    lists (gzip or not), SNAP edge lists, GraphML, GEXF and GML. Every file is read and checked
    before anything is written: a bad row fails the whole import with file:line, and the
    workspace is left as it was. Importing the same file again changes nothing.

    \b
    Examples:
      influgraph import brexit.jsonl -w ws
      influgraph import retweets.tsv.gz --source-col 1 --target-col 2 --kind-col 3 --reverse -w ws
      influgraph import edges.csv --kind mention --weight-col count -w ws --json
    """
    from .ingest import import_paths
    from .sources.base import ImportOptions
    from .workspace import Workspace

    options = ImportOptions(format=fmt, **columns)
    ws = Workspace(workspace)
    progress = (lambda path: click.echo(f"reading {path}", err=True)) if show_progress() else None
    report = import_paths(ws, paths, options, on_file=progress)
    commit = report.commit
    if as_json:
        emit_json({"workspace": str(ws.path), "files": report.files, "before": commit.before,
                   "after": commit.after, "changed": commit.changed, "content_hash": commit.content_hash})
        for note in report.notes():
            click.echo(f"note: {_said(note)}", err=True)
        return
    for note in report.notes():
        click.echo(f"note: {_said(note)}", err=True)
    added = commit.added()
    click.echo(f"imported {len(paths)} file(s) into {ws.path}")
    for name in ("accounts", "posts", "edges"):
        click.echo(f"  {name:<9}{commit.after[name]:>12,}  ({added[name]:+,})")
    if not commit.changed:
        click.echo("  nothing changed: these rows were already in the workspace")


@main.command("stats")
@workspace_option
@click.option("--platform", default=None, help="Only this platform's accounts and edges.")
@click.option("--kinds", default=None, help="Comma-separated edge kinds for the graph [default: all].")
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, 1000), help="Top accounts and hashtags to list.")
@window_options
@engine_option
@json_option
def stats_command(workspace: str, platform: str | None, kinds: str | None, top: int, since: str | None, until: str | None,
                  window: str | None, engine: str, spark_master: str | None, as_json: bool) -> None:
    """Show table sizes, edges by kind, and the graph's nodes, edges, degrees and components.

    With --since/--until, of that window's batch (its timed edges, the follows known by its end);
    with --window, the edge rows of each kind in each window of the series.

    \b
    Examples:
      influgraph stats -w ws
      influgraph stats -w ws --kinds repost,quote --json
      influgraph stats -w ws --since 2010-09-14 --until 2010-09-21
      influgraph stats -w ws --window 7d --since 2010-09-14 --until 2010-11-02
      INFLUGRAPH_SPARK_MASTER=spark://host:7077 influgraph stats -w ws --engine spark
    """
    from .graph import GraphSpec
    from .stats import compute_stats
    from .workspace import Workspace

    chosen = _parse_kinds(kinds, "--kinds")
    spec = GraphSpec(platform=platform, kinds=chosen) if chosen else GraphSpec(platform=platform)
    ws = Workspace(workspace, create=False)
    if window is not None:
        _stats_series(ws, window, since, until, platform, as_json)
        return
    source = _windowed(ws, since, until, engine)
    with open_engine(engine, ws, platform, spark_master) as running:
        result = compute_stats(source, spec, top=top, engine=running).summary()
    if source is not ws:
        result.update(workspace=str(ws.path), since=since, until=until)
    if as_json:
        emit_json(result)
        return
    click.echo(_format_stats(result))


def _stats_series(ws: Any, window: str, since: str | None, until: str | None, platform: str | None, as_json: bool) -> None:
    """`stats --window`: the edge rows of each kind per window (`windows.window_counts`)."""
    from .schema import EDGE_KINDS
    from .windows import window_counts

    series = window_counts(ws, window, since, until, platform=platform)
    if as_json:
        emit_json({"workspace": str(ws.path), "window": window, "windows": series.to_dicts()})
        return
    click.echo(f"{'window':<37}{'edges':>10}" + "".join(f"{k:>9}" for k in EDGE_KINDS))
    for row in series.iter_rows(named=True):
        click.echo(f"{row['start']:%Y-%m-%d %H:%M} .. {row['end']:%Y-%m-%d %H:%M}    {row['edges']:>10,}"
                   + "".join(f"{row[k]:>9,}" for k in EDGE_KINDS))
    if series.height == 0:
        click.echo("no edge has a time: no window to count")


def _count(value: int | None) -> str:
    """A count with thousands separators, or '-' when the engine did not compute it."""
    return "-" if value is None else f"{value:,}"


def _format_stats(result: dict) -> str:
    graph = result["graph"]
    span = (f"  (window {result['since'] or '...'} .. {result['until'] or '...'})"
            if result.get("since") or result.get("until") else "")
    lines = [
        f"workspace  {result['workspace']}{span}",
        f"accounts   {result['accounts']:>12,}",
        f"posts      {result['posts']:>12,}",
        f"edges      {result['edges']:>12,}",
    ]
    for kind, value in result["edges_by_kind"].items():
        if value["rows"]:
            lines.append(f"  {kind:<9}{value['rows']:>12,}")
    lines += [
        "graph",
        f"  nodes                  {graph['nodes']:>12,}",
        f"  edges                  {graph['edges']:>12,}",
        f"  self-loops left out    {_count(graph['self_loops_dropped']):>12}",
        f"  isolated accounts      {graph['isolated']:>12,}",
        f"  max in-degree          {graph['max_in_degree']:>12,}",
        f"  max out-degree         {graph['max_out_degree']:>12,}",
        f"  weak components        {graph['weak_components']:>12,}  (largest {graph['largest_weak_component']:,})",
        f"  strong components      {_count(graph['strong_components']):>12}",
    ]
    if result["top_accounts_by_in_degree"]:
        lines.append("top accounts by in-degree")
        for row in result["top_accounts_by_in_degree"]:
            label = row.get("handle") or row["id"]
            lines.append(f"  {row['in_degree']:>8,}  {label}")
    if result["top_hashtags"]:
        lines.append("top hashtags")
        for row in result["top_hashtags"]:
            lines.append(f"  {row['posts']:>8,}  #{row['hashtag']}")
    return "\n".join(lines)


@main.command("communities")
@workspace_option
@click.option("--method", default="leiden", show_default=True,
              help="leiden (parallel Louvain + refinement, connected, Leiden-polished), igraph-leiden, louvain, "
                   "label-propagation or infomap (infomap respects direction).")
@click.option("--resolution", default=1.0, show_default=True, type=float, help="Modularity resolution (higher: smaller communities).")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Random seed; results are deterministic for a seed.")
@click.option("--runs", default=1, show_default=True, type=click.IntRange(1, 1000), help="Runs with seeds seed..seed+N-1: best partition and mean pairwise NMI.")
@click.option("--edge-kinds", default=None, help="Comma-separated edge kinds to use [default: all].")
@click.option("--symmetrise", default="sum", show_default=True, type=click.Choice(["sum", "max", "mutual"]), help="Undirected weight of a pair: sum, max or mutual.")
@click.option("--sweep", default=None, help="Comma-separated resolutions: report communities and modularity at each, store nothing.")
@click.option("--out", "out_file", default=None, type=click.Path(),
              help="Write the membership table (.csv, .parquet or .json); profiles go beside it as NAME-profiles.EXT.")
@window_options
@json_option
def communities_command(workspace: str, method: str, resolution: float, seed: int, runs: int,
                        edge_kinds: str | None, symmetrise: str, sweep: str | None, out_file: str | None,
                        since: str | None, until: str | None, window: str | None, as_json: bool) -> None:
    """Find communities, their profiles, and each account's role between them.

    Leiden (modularity, iterated until stable) by default; every community is connected.
    Results are stored in the workspace for ranking, maps and shortlists. With --since/--until,
    the communities of that window (not stored); with --window, each window's communities matched
    to the next one's by member overlap (grew, shrank, split, merged, appeared, vanished).

    \b
    Examples:
      influgraph communities -w ws
      influgraph communities -w ws --runs 10 --seed 1 --json
      influgraph communities -w ws --sweep 0.5,1,2,4
      influgraph communities -w ws --method infomap --edge-kinds repost,quote --out groups.csv
      influgraph communities -w ws --since 2026-01-08 --until 2026-01-15
      influgraph communities -w ws --window 7d --json
    """
    from .communities import detect_communities, sweep_resolution
    from .exports.tables import table_paths, write_tables
    from .results import save_communities
    from .workspace import Workspace

    kinds = _parse_kinds(edge_kinds, "--edge-kinds")
    ws = Workspace(workspace, create=False)
    if window is not None:
        if sweep or out_file is not None:
            raise click.UsageError("--window matches each window's communities; it takes neither --sweep nor --out")
        _community_series(ws, window, since, until, seed, as_json)
        return
    windowed = _windowed(ws, since, until)
    if out_file is not None:
        table_paths(out_file, ["profiles"], ws.path)
    if sweep:
        try:
            resolutions = [float(v) for v in sweep.split(",") if v.strip()]
        except ValueError:
            raise click.BadParameter(f"{sweep!r} is not a list of numbers", param_hint="--sweep") from None
        table = sweep_resolution(windowed, resolutions, method=method, seed=seed, runs=runs, kinds=kinds, symmetrise=symmetrise)
        if as_json:
            emit_json(table.to_dicts())
        else:
            click.echo(_format_rows(table.to_dicts()))
        return
    with Reporter.for_cli(as_json=as_json).step(f"finding communities ({method}, {runs} runs)"):
        result = detect_communities(windowed, method=method, resolution=resolution, seed=seed, runs=runs, kinds=kinds,
                                    symmetrise=symmetrise)
    if windowed is ws:
        save_communities(ws, result)
    else:
        click.echo("note: the communities of a window are not stored (the stored ones are the whole workspace's)", err=True)
    written = (write_tables(out_file, result.membership, {"profiles": result.profiles}, workspace=ws.path)
               if out_file is not None else [])
    if as_json:
        emit_json({**result.summary(), "profiles": result.profiles.to_dicts(), "written": [str(p) for p in written]})
        return
    summary = result.summary()
    click.echo(f"{summary['communities']:,} communities among {summary['accounts']:,} accounts "
               f"({summary['method']}, resolution {summary['resolution']}, modularity {summary['modularity']:.4f}"
               + (f", stability NMI {summary['stability_nmi']:.3f} over {runs} runs" if summary["stability_nmi"] is not None else "")
               + ")")
    for row in result.profiles.head(15).iter_rows(named=True):
        tags = " ".join(f"#{t}" for t in (row["hashtags"] or [])[:4])
        leaders = ", ".join((row["top_accounts"] or [])[:3])
        brokers = ", ".join((row["brokers"] or [])[:2])
        click.echo(f"  {row['community']:>4}  {row['size']:>7,} accounts  leaving {row['share_leaving']:.0%}  {tags}")
        click.echo(f"        top: {leaders}  brokers: {brokers}")
    if result.profiles.height > 15:
        click.echo(f"  ... {result.profiles.height - 15:,} more (use --json or --out)")
    for path in written:
        click.echo(f"wrote {path}")


def _community_series(ws: Any, window: str, since: str | None, until: str | None, seed: int, as_json: bool) -> None:
    """`communities --window`: each window's communities and their events (`community_changes.community_windows`)."""
    from .community_changes import community_windows

    with Reporter.for_cli(as_json=as_json).step("finding communities per window"):
        found = community_windows(ws, window, since, until, seed=seed)
    if as_json:
        emit_json({"window": window, "communities": found.sizes.to_dicts(), "events": found.events.to_dicts()})
        return
    click.echo(_format_community_changes(found))


def _format_community_changes(found: Any, top: int = 12) -> str:
    """Per window the communities' count and largest sizes, then the events that are not `stable`."""
    import polars as pl

    lines = []
    for (start,), sizes in found.sizes.group_by("start", maintain_order=True):
        largest = ", ".join(f"{n:,}" for n in sizes.sort("size", descending=True)["size"].head(5))
        lines.append(f"window {start:%Y-%m-%d %H:%M}: {sizes.height:,} communities (largest {largest})")
    changed = found.events.filter(pl.col("event") != "stable")
    for row in changed.head(top).iter_rows(named=True):
        before = ",".join(map(str, row["before"])) or "-"
        after = ",".join(map(str, row["after"])) or "-"
        lines.append(f"  {row['start']:%Y-%m-%d}  {row['event']:<9}{before:>10} -> {after:<10}"
                     f"{row['size_before']:>7,} -> {row['size_after']:<7,} {row['label'][:60]}")
    if changed.height > top:
        lines.append(f"  ... {changed.height - top:,} more changes (use --json)")
    stable = found.events.height - changed.height
    lines.append(f"{stable:,} communities stable from one window to the next" if found.events.height else "one window: nothing to match")
    return "\n".join(lines)


def _format_rows(rows: list[dict]) -> str:
    if not rows:
        return "(nothing)"
    names = list(rows[0])
    lines = ["  ".join(f"{n:>14}" for n in names)]
    for row in rows:
        lines.append("  ".join(f"{'-' if row[n] is None else (f'{row[n]:.4f}' if isinstance(row[n], float) else row[n]):>14}" for n in names))
    return "\n".join(lines)


def _parse_kinds(value: str | None, option: str) -> tuple[str, ...] | None:
    """A comma-separated list of edge kinds, checked; None when not given."""
    from .schema import EDGE_KINDS

    if not value:
        return None
    chosen = tuple(k.strip() for k in value.split(",") if k.strip())
    unknown = [k for k in chosen if k not in EDGE_KINDS]
    if unknown or not chosen:
        raise click.BadParameter(f"unknown kind {unknown[0] if unknown else value!r}; use {', '.join(EDGE_KINDS)}",
                                 param_hint=option)
    return chosen


@main.command("rank")
@workspace_option
@niche_options
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 100_000), help="Rows to print.")
@click.option("--platform", default=None, help="Only this platform's accounts and edges.")
@click.option("--betweenness", default=None, type=click.IntRange(1, 1_000_000), metavar="SAMPLES",
              help="Add approximate betweenness from this many sampled sources (slow on large graphs).")
@click.option("--out", "out_file", default=None, type=click.Path(),
              help="Write the whole table (.csv, .parquet or .json); the agreement report goes beside it.")
@window_options
@engine_option
@json_option
def rank_command(workspace: str, niche: str | None, query_file: str | None, queries_dir: str, top: int,
                 platform: str | None, betweenness: int | None, out_file: str | None, since: str | None, until: str | None,
                 window: str | None, engine: str, spark_master: str | None, as_json: bool) -> None:
    """Rank accounts by influence within a niche, with reach apart and every score explained.

    With --since/--until, the ranking of that window (its interactions, the follows known by its
    end; not stored); with --window, one ranking per window of the series (see also `trends`).

    \b
    Examples:
      influgraph rank --niche persian-books -w ws
      influgraph rank --query queries/specialty-coffee.toml -w ws --top 10 --json
      influgraph rank --niche kuliner-nusantara -w ws --out kuliner.csv
      influgraph rank --niche specialty-coffee -w ws --since 2026-01-08 --until 2026-01-15
      influgraph rank --niche specialty-coffee -w ws --window 7d --top 5
      influgraph rank --niche persian-books -w ws --engine spark
    """
    from .exports.tables import table_paths, write_tables
    from .rank import rank_niche
    from .results import save_ranking
    from .workspace import Workspace

    query = load_niche(niche, query_file, queries_dir)
    ws = Workspace(workspace, create=False)
    if window is not None:
        if engine == "spark" or out_file is not None:
            raise click.UsageError("--window prints one ranking per window; it takes neither --engine spark nor --out")
        _rank_series(ws, query, window, since, until, platform, top, as_json)
        return
    if out_file is not None:
        table_paths(out_file, ["agreement"], ws.path)
    source = _windowed(ws, since, until, engine)
    with open_engine(engine, ws, platform, spark_master) as running:
        with Reporter.for_cli(as_json=as_json).step(f"ranking niche {query.name}"):
            result = rank_niche(source, query, platform=platform, betweenness=betweenness, engine=running)
    if source is ws:
        save_ranking(ws, query.name, result)
    else:
        click.echo("note: the ranking of a window is not stored (the stored ranking is the whole workspace's)", err=True)
    written = []
    if out_file is not None:
        written = write_tables(out_file, result.table, {"agreement": result.agreement}, workspace=ws.path)
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    shown = result.table.head(top)
    if as_json:
        emit_json({"niche": query.name, "config_hash": result.config_hash, "members": result.members,
                   "candidates": result.table.height, "rows": shown.to_dicts(), "agreement": result.agreement.to_dicts(),
                   "warnings": result.warnings, "written": [str(p) for p in written],
                   "rings": result.rings.to_dicts() if result.rings is not None else []})
        return
    click.echo(f"niche {query.name}: {result.members:,} members, {result.table.height:,} ranked (config {result.config_hash})")
    if shown.height:
        click.echo(f"{'rank':>5}  {'account':<22}{'role':<22}{'tier':<7}{'influence':>10}{'relevance':>10}{'quality':>8}"
                   f"{'reach':>11}  flags")
    for row in shown.iter_rows(named=True):
        label = (row["handle"] or row["id"])[:21]
        flag = ("  !" if row["warning"] else "") + (f"  {', '.join(row['flags'])}" if row.get("flags") else "")
        quality = "-" if row.get("audience_quality") is None else f"{row['audience_quality']:.2f}"
        click.echo(f"{row['rank']:>5}  {label:<22}{row['role']:<22}{row['tier']:<7}{row['niche_influence']:>10.3f}"
                   f"{row['audience_relevance']:>10.2f}{quality:>8}{row['reach']:>11,}{flag}")
    ranked_ids = set(result.table["id"].to_list()) if result.table.height else set()
    for ring in (result.rings.iter_rows(named=True) if result.rings is not None else ()):
        if not ranked_ids & set(ring["ids"]):
            continue  # a ring of another niche
        click.echo(f"engagement ring {ring['ring']}: {ring['size']} accounts, density {ring['density']:.2f}, "
                   f"{ring['lift']:,.0f}x chance: {', '.join(ring['handles'][:8])}{' ...' if ring['size'] > 8 else ''}")
    if result.agreement.height:
        click.echo("rank agreement (Spearman, top-10 overlap)")
        for row in result.agreement.iter_rows(named=True):
            rho = "-" if row["spearman"] is None else f"{row['spearman']:.2f}"
            click.echo(f"  {row['measure_a']} vs {row['measure_b']}: {rho}, {row['top10_overlap']:.0%}")
    for line in result.warnings[:10]:
        click.echo(f"warning: {_said(line)}")
    for path in written:
        click.echo(f"wrote {path}")


def _rank_series(ws: Any, query: Any, window: str, since: str | None, until: str | None, platform: str | None, top: int,
                 as_json: bool) -> None:
    """`rank --window`: the top rows of each window's ranking (`windows.rank_windows`)."""
    from .windows import rank_windows

    with Reporter.for_cli(as_json=as_json).step(f"ranking niche {query.name} per window"):
        ranked = rank_windows(ws, query, window, since, until, platform=platform)
    if as_json:
        emit_json({"niche": query.name, "window": window,
                   "windows": [{"start": w.start, "end": w.end, "members": w.result.members,
                                "candidates": w.result.table.height, "rows": w.result.table.head(top).to_dicts()}
                               for w in ranked]})
        return
    for w in ranked:
        click.echo(_window_line(w.start, w.end, f"{w.result.members:,} members, {w.result.table.height:,} ranked"))
        for row in w.result.table.head(top).iter_rows(named=True):
            click.echo(f"{row['rank']:>5}  {(row['handle'] or row['id'])[:21]:<22}{row['niche_influence']:>10.3f}"
                       f"{row['member_engagers']:>6,} member engagers")
    if not ranked:
        click.echo("no edge has a time: no window to rank")


def _names_a_file(text: str) -> bool:
    """True when `text` is the path of an existing file (a name too long for a path is no file)."""
    from pathlib import Path

    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def _names(value: str | None) -> list[str]:
    """A comma-separated option as a list of non-empty, stripped names."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@main.command("shortlist")
@workspace_option
@niche_options
@click.option("--k", "k", default=None, type=click.IntRange(1, 100_000), help="How many accounts [default: 10 without --budget].")
@click.option("--budget", default=None, type=float, help="Total cost allowed (needs --costs).")
@click.option("--costs", "costs_file", default=None, type=click.Path(dir_okay=False), help="CSV with columns id (or handle) and cost.")
@click.option("--tiers", default=None, help="Only these tiers, comma-separated: nano,micro,mid,macro,mega.")
@click.option("--exclude-roles", default="bot", show_default=True,
              help="Roles to leave out, comma-separated: bot,inauthentic,brand,celebrity,broker,expert,peer ('' for none).")
@click.option("--max-per-community", default=None, type=int, help="At most this many picks from one community.")
@click.option("--must-include", default=None, help="Accounts (ids or handles, comma-separated) to pick first.")
@click.option("--must-exclude", default=None, help="Accounts (ids or handles, comma-separated) never to pick.")
@click.option("--objective", default="reach", show_default=True, type=click.Choice(["reach", "spread"]),
              help="reach: distinct niche members reached; spread: expected cascade under the independent cascade model.")
@click.option("--audience", default="both", show_default=True, type=click.Choice(["both", "followers", "engagers"]),
              help="Who counts as a candidate's audience: niche members who follow it, engage with it, or either.")
@click.option("--samples", default=20_000, show_default=True, type=click.IntRange(100, 10_000_000),
              help="Reverse-reachable sets for --objective spread.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the spread sampling.")
@click.option("--out", "out_file", default=None, type=click.Path(),
              help="Write the picks (.csv, .parquet or .json); the overlap table goes beside it.")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM so spreadsheets display Persian and Indonesian.")
@click.option("--allow-flagged", is_flag=True,
              help="Include flagged accounts (low audience quality, low-relevance warning, suspected bot, inauthentic audience).")
@json_option
def shortlist_command(workspace: str, niche: str | None, query_file: str | None, queries_dir: str, k: int | None,
                      budget: float | None, costs_file: str | None, tiers: str | None, exclude_roles: str,
                      max_per_community: int | None, must_include: str | None, must_exclude: str | None, objective: str,
                      audience: str, samples: int, seed: int, out_file: str | None, excel: bool, allow_flagged: bool,
                      as_json: bool) -> None:
    """Choose the accounts that together reach the most of a niche's audience, for k picks or a budget.

    \b
    Examples:
      influgraph shortlist --niche specialty-coffee -w ws --k 5
      influgraph shortlist --niche persian-books -w ws --budget 5000 --costs costs.csv --tiers nano,micro,mid
      influgraph shortlist --niche kuliner-nusantara -w ws --exclude-roles bot,brand,celebrity --max-per-community 2 --json
    """
    from .exports.tables import table_paths, write_tables
    from .rank import rank_niche
    from .results import save_shortlist
    from .shortlisting import read_costs, shortlist
    from .workspace import Workspace

    if excel and not (out_file or "").lower().endswith(".csv"):
        raise click.UsageError("--excel needs --out FILE.csv")
    query = load_niche(niche, query_file, queries_dir)
    costs = read_costs(costs_file) if costs_file else None
    ws = Workspace(workspace, create=False)
    if out_file is not None:
        table_paths(out_file, ["overlap"], ws.path)
    try:
        result = shortlist(ws, query, ranked=rank_niche(ws, query).table, k=k if k is not None or budget is not None else 10,
                           budget=budget, costs=costs,
                           tiers=_names(tiers) or None, exclude_roles=_names(exclude_roles), max_per_community=max_per_community,
                           must_include=_names(must_include), must_exclude=_names(must_exclude), objective=objective,
                           audience=audience, samples=samples, seed=seed, allow_flagged=allow_flagged)
    except BadInput as exc:  # the library sees a costs table; the user knows it as this file
        if exc.param == "costs" and costs_file and exc.path is None:
            exc.path = costs_file
        raise
    save_shortlist(ws, query.name, result)
    written = []
    if out_file is not None:
        written = write_tables(out_file, result.picks, {"overlap": result.overlap}, excel=excel, workspace=ws.path)
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    if as_json:
        emit_json({**result.summary(), "overlap": result.overlap.head(50).to_dicts(), "written": [str(p) for p in written]})
        return
    b = result.baselines
    click.echo(f"niche {query.name}: shortlist of {b['k']} by {objective} ({b['rule']}), {b['members']:,} niche members")
    click.echo(f"{'pick':>4}  {'account':<22}{'role':<22}{'tier':<7}{'comm':>5}{'audience':>9}{'new':>7}{'overlap':>8}{'total':>7}"
               f"{'quality':>8}  flags")
    for row in result.picks.iter_rows(named=True):
        label = (row["handle"] or row["id"])[:21]
        quality = "-" if row.get("audience_quality") is None else f"{row['audience_quality']:.2f}"
        click.echo(f"{row['pick']:>4}  {label:<22}{row['role']:<22}{row['tier']:<7}{'-' if row['community'] is None else row['community']:>5}"
                   f"{row['audience']:>9,}{row['marginal_reach']:>7,}{row['overlap_with_earlier']:>8,}{row['cumulative_reach']:>7,}"
                   f"{quality:>8}  {', '.join(row.get('flags') or [])}")
    counts = result.left_out_counts()
    if counts:
        click.echo(f"left out {sum(counts.values()):,} candidates: "
                   + "; ".join(f"{n:,} {reason}" for reason, n in counts.items()))
    reach = b["shortlist_reach"]
    for name, key in (("top-k by followers", "top_k_by_followers_reach"), ("top-k by niche score", "top_k_by_niche_score_reach")):
        ratio = f"{reach / b[key]:.2f}x" if b[key] else "n/a"
        click.echo(f"unique niche reach: shortlist {reach:,} vs {name} {b[key]:,} ({ratio})")
    if "expected_spread" in b:
        click.echo(f"expected spread (independent cascade): {b['expected_spread']:,} niche members")
    if "budget" in b:
        click.echo(f"spent {b['spent']:,.2f} of {b['budget']:,.2f}")
    for path in written:
        click.echo(f"wrote {path}")


@main.command("lookalikes")
@workspace_option
@niche_options
@click.option("--account", required=True, help="The account (id or handle) to find lookalikes of.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 10_000), help="How many lookalikes.")
@click.option("--include-shortlisted", is_flag=True, help="Also list the accounts of the niche's stored shortlist.")
@json_option
def lookalikes_command(workspace: str, niche: str | None, query_file: str | None, queries_dir: str, account: str, top: int,
                       include_shortlisted: bool, as_json: bool) -> None:
    """Accounts whose audience and engagers overlap most with ACCOUNT's, explained by the shared members.

    \b
    Examples:
      influgraph lookalikes --account pro_cof1 --niche specialty-coffee -w ws
      influgraph lookalikes --account pro_buk1233 --niche persian-books -w ws --top 5 --json
    """
    from .lookalikes import lookalikes
    from .rank import rank_niche
    from .workspace import Workspace

    query = load_niche(niche, query_file, queries_dir)
    ws = Workspace(workspace, create=False)
    found = lookalikes(ws, query, account, ranked=rank_niche(ws, query).table, top=top,
                       exclude=() if include_shortlisted else None)
    if as_json:
        emit_json({"niche": query.name, "account": account, "lookalikes": found.to_dicts()})
        return
    click.echo(f"lookalikes of {account} in {query.name} (similarity = mean of Jaccard and co-engagement)")
    click.echo(f"{'#':>3}  {'account':<22}{'role':<22}{'rank':>6}{'jaccard':>9}{'co-eng':>8}{'similar':>9}  shared members")
    for row in found.iter_rows(named=True):
        label = (row["handle"] or row["id"])[:21]
        click.echo(f"{row['position']:>3}  {label:<22}{row['role']:<22}{row['rank']:>6}{row['jaccard']:>9.3f}"
                   f"{row['co_engagement']:>8.3f}{row['similarity']:>9.3f}  {row['shared_audience']:,}: "
                   f"{', '.join(row['shared_members'])}")
    if found.height == 0:
        click.echo("no ranked account shares audience with it")


@main.command("trends")
@workspace_option
@niche_options
@click.option("--window", default="7d", show_default=True, help="Window length: a number and m, h, d or w (7d, 12h, 2w).")
@click.option("--since", default=None, help="Windows are laid back from --until to this time (ISO date or time) [default: the first edge's day].")
@click.option("--until", default=None, help="End of the latest window (ISO date or time) [default: the midnight after the last edge].")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 100_000), help="Rows to print.")
@click.option("--platform", default=None, help="Only this platform's accounts and edges.")
@click.option("--no-communities", is_flag=True, help="Skip matching each window's communities (faster on large workspaces).")
@click.option("--min-community-size", default=3, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Communities of fewer niche members are left out of the matching.")
@click.option("--spike-z", default=3.5, show_default=True, type=float,
              help="A follower spike's least robust z-score against the account's own daily growth.")
@click.option("--spike-min-jump", default=50, show_default=True, type=click.IntRange(0, 10**9),
              help="A follower spike's least excess over the account's own trend, in followers.")
@click.option("--spike-min-share", default=0.1, show_default=True, type=float,
              help="A follower spike's least excess as a share of the followers before it.")
@json_option
def trends_command(workspace: str, niche: str | None, query_file: str | None, queries_dir: str, window: str,
                   since: str | None, until: str | None, top: int, platform: str | None, no_communities: bool,
                   min_community_size: int, spike_z: float, spike_min_jump: int, spike_min_share: float,
                   as_json: bool) -> None:
    """Rising accounts: niche influence per window, its change, the rising score of the latest window,
    follower spikes, and the communities matched from window to window. Stored for the report.

    \b
    Examples:
      influgraph trends --niche specialty-coffee -w ws --window 7d
      influgraph trends --query tcot.toml -w ws --window 7d --since 2010-09-14 --until 2010-11-02 --json
    """
    from .community_changes import MatchRule
    from .growth import SpikeRule
    from .results import save_trends
    from .trends import niche_trends
    from .workspace import Workspace

    query = load_niche(niche, query_file, queries_dir)
    ws = Workspace(workspace, create=False)
    with Reporter.for_cli(as_json=as_json).step(f"ranking niche {query.name} per window"):
        result = niche_trends(ws, query, window, since, until, platform=platform,
                              spike_rule=SpikeRule(z=spike_z, min_jump=spike_min_jump, min_share=spike_min_share),
                              match_rule=None if no_communities else MatchRule(min_size=min_community_size))
    save_trends(ws, query.name, window, result)
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    shown = result.table.head(top)
    changes = result.communities
    if as_json:
        emit_json({"niche": query.name, "window": window, "windows": result.windows.to_dicts(), "rows": shown.to_dicts(),
                   "candidates": result.table.height, "series": result.series.filter(_of_rows(shown)).to_dicts(),
                   "spikes": result.spikes.to_dicts(),
                   "communities": changes.sizes.to_dicts() if changes is not None else None,
                   "community_events": changes.events.to_dicts() if changes is not None else None,
                   "notes": result.notes})
        return
    for row in result.windows.iter_rows(named=True):
        click.echo(_window_line(row["start"], row["end"], f"{row['edges']:,} timed edges, {row['members']:,} members, "
                                                          f"{row['candidates']:,} ranked"))
    click.echo(f"{'rank':>5}  {'account':<22}{'rising':>8}{'influence':>10}{'baseline':>10}{'change':>9}{'in-links':>9}"
               f"{'baseline':>9}{'followers':>10}  flags")
    for row in shown.iter_rows(named=True):
        label = (row["handle"] or row["id"])[:21]
        gained = "-" if row["followers_gained"] is None else f"{row['followers_gained']:+,}"
        click.echo(f"{row['rank']:>5}  {label:<22}{row['rising']:>8.2f}{row['influence']:>10.3f}"
                   f"{row['baseline_influence']:>10.3f}{row['change']:>+9.3f}{row['inlinks']:>9.0f}{row['baseline_inlinks']:>9.1f}"
                   f"{gained:>10}  {', '.join(row['flags'])}")
    for row in result.spikes.head(10).iter_rows(named=True):
        click.echo(f"follower spike: {row['handle'] or row['id']} on {row['day']}: +{row['jump']:,} "
                   f"(expected {row['expected']:,.0f}, robust z {row['z']:.1f})")
    if changes is not None:
        click.echo("communities per window (matched by member overlap)")
        click.echo(_format_community_changes(changes, top=8))


def _of_rows(shown: Any) -> Any:
    """A filter keeping the series rows of the accounts in `shown` (the printed rows)."""
    import polars as pl

    return pl.struct("platform", "id").is_in(shown.select(pl.struct("platform", "id")).to_series().implode())


@main.command("amplifiers")
@workspace_option
@click.option("--query", "query_file", required=True, type=click.Path(dir_okay=False),
              help="The complaint: a niche query TOML whose keywords describe it and whose seed_accounts name the brand.")
@click.option("--audience", default=None, metavar="NICHE",
              help="Also count this niche's members (a name in --queries-dir, or a .toml file) as the brand's audience.")
@click.option("--queries-dir", default="queries", show_default=True, type=click.Path(file_okay=False),
              help="Where --audience looks for niche queries.")
@click.option("--since", default=None, help="Only posts from this time on (ISO date or time).")
@click.option("--until", default=None, help="Only posts before this time (ISO date or time).")
@click.option("--bucket", default="auto", show_default=True, type=click.Choice(["auto", "hour", "day"]),
              help="Step of the time line (auto: per hour up to 3 days, else per day).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 100_000), help="Amplifiers to print.")
@click.option("--platform", default=None, help="Only this platform's accounts, posts and edges.")
@json_option
def amplifiers_command(workspace: str, query_file: str, audience: str | None, queries_dir: str, since: str | None,
                       until: str | None, bucket: str, top: int, platform: str | None, as_json: bool) -> None:
    """Crisis amplifiers: who spreads a complaint, ranked by reach into the brand's audience and by brokerage.

    \b
    Examples:
      influgraph amplifiers --query complaint.toml -w ws
      influgraph amplifiers --query complaint.toml --audience specialty-coffee --since 2026-10-08 -w ws --json
    """
    from .amplifiers import find_amplifiers
    from .niches import find_query, load_query
    from .results import save_amplifiers
    from .workspace import Workspace

    query = load_query(query_file)
    niche = None if audience is None else load_query(audience) if _names_a_file(audience) else find_query(audience, queries_dir)
    ws = Workspace(workspace, create=False)
    with Reporter.for_cli(as_json=as_json).step(f"tracing complaint {query.name}"):
        result = find_amplifiers(ws, query, audience=niche, since=since, until=until, bucket=bucket, platform=platform)
    save_amplifiers(ws, result)
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    shown, s = result.table.head(top), result.summary
    if as_json:
        emit_json({**s, "notes": result.notes, "rows": shown.to_dicts(), "timeline": result.timeline.to_dicts()})
        return
    click.echo(f"complaint {s['complaint']}: {s['complaint_posts']:,} posts, {s['cascade_nodes']:,} cascade nodes, "
               f"{s['spreaders']:,} spreaders; reached {s['reached']:,} of the brand's {s['audience']:,}-account audience")
    for row in result.table.filter(result.table["first"].is_not_null()).sort("first").head(3).iter_rows(named=True):
        when = f" at {row['first_at']:%Y-%m-%d %H:%M} UTC" if row["first_at"] else ""
        click.echo(f"first spreader {row['first']}: {row['handle'] or row['id']}{when}")
    if result.table.height:
        top = result.table.row(0, named=True)
        broker = result.table.sort("brokerage_rank").row(0, named=True)
        click.echo(f"answer first: {top['handle'] or top['id']} (reaches {top['reach']:,} of the audience, "
                   f"{top['cascade_reach']:,} with its branch)")
        into = broker["carried_into"]
        click.echo(f"broker: {broker['handle'] or broker['id']} carried it to {broker['brokerage']:,} spreaders in "
                   f"communit{'y' if len(into) == 1 else 'ies'} {', '.join(map(str, into)) or '-'} "
                   f"({broker['exposed_across']:,} accounts there first exposed by it)")
    click.echo(f"{'rank':>5}  {'account':<22}{'reach':>7}{'new':>6}{'cascade':>9}{'brokerage':>11}{'b-rank':>8}  first spread")
    for row in shown.iter_rows(named=True):
        when = f"{row['first_at']:%Y-%m-%d %H:%M}" if row["first_at"] else "-"
        click.echo(f"{row['rank']:>5}  {(row['handle'] or row['id'])[:21]:<22}{row['reach']:>7,}{row['new_reach']:>6,}"
                   f"{row['cascade_reach']:>9,}{row['brokerage']:>11,}{row['brokerage_rank']:>8}  {when}")
    line = result.timeline.filter((result.timeline["posts"] + result.timeline["reposts"]) > 0).head(12)
    click.echo(f"time line per {s['bucket']} (posts + reposts): "
               + (", ".join(f"{r['start']:%m-%d %H:%M} {r['posts']}+{r['reposts']}" for r in line.iter_rows(named=True)) or "none"))


SECRET_NAMES = {("x", "token"): "X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN)", ("bluesky", "token"): "BLUESKY_ACCESS_TOKEN",
                ("bluesky", "credentials"): "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password)",
                ("mastodon", "token"): "MASTODON_ACCESS_TOKEN (an access token of an account on the instance)"}


def crawl_environment(platform: str) -> dict:
    """The API URL and the secrets of a crawl on `platform`, from the environment (unset or blank: None).

    Surrounding whitespace is stripped from every value: a token copied from a Windows `.env`
    file or written with `echo` ends with a carriage return or a newline that no header can carry.
    """
    from .crawlers import BlueskyCredentials

    def first(names: tuple[str, ...]) -> str | None:
        return next((value for name in names if (value := os.environ.get(name, "").strip())), None)

    variables = CRAWL_VARIABLES[platform]
    found = {"api_url": first(variables["api_url"]), "token": first(variables["token"])}
    if "credentials" in variables:
        handle, password = (first((name,)) for name in variables["credentials"])
        found["credentials"] = BlueskyCredentials(handle, password) if handle and password else None
    return found


def _secret_hint(exc: AuthError, platform: str, given: dict) -> AuthError:
    """An AuthError about a secret, with the CLI's fix: the environment variables the secret is read from."""
    names = SECRET_NAMES.get((platform, exc.param))
    if names is None:
        return exc
    hint = f"check {names}" if given.get(exc.param) else f"set {names} in the environment"
    return AuthError(exc.message, path=exc.path, line=exc.line, hint=hint, param=exc.param)


def _print_plan(plan: Any) -> None:
    tier = f", tier {plan.tier}" if plan.platform == "x" else ""
    click.echo(f"crawl plan for {plan.niche} on {plan.platform}{tier} (at most {plan.max_requests:,} requests; nothing sent)")
    click.echo(f"{'endpoint':<36}{'requests':>10}{'items':>9}{'limit/window':>14}{'wait (min)':>12}{'price':>11}")
    for row in plan.endpoints:
        click.echo(f"{row['endpoint']:<36}{row['requests']:>10,}{row['items']:>9,}"
                   f"{str(row['per_window']) + '/' + str(row['window_minutes']) + 'min':>14}"
                   f"{row['rate_limit_wait_minutes']:>12,}{row['cost']:>11,.2f}")
    currency = plan.prices.get("currency", "USD")
    click.echo(f"total: {plan.requests:,} requests, {plan.items:,} items ({plan.post_reads:,} post reads), about "
               f"{plan.rate_limit_wait_minutes:,} minutes of rate-limit waits, estimated price {plan.cost:,.2f} {currency}"
               " at most")
    if plan.over_post_cap:
        click.echo("warning: more post reads than X's monthly cap for pay-per-use apps", err=True)
    click.echo(f"note: {_said(plan.note)}")


def _prices(given: tuple[str, ...]) -> dict[str, float]:
    """--price KIND=USD values as {kind: price}; a malformed one exits 2."""
    prices = {}
    for item in given:
        kind, _, value = item.partition("=")
        try:
            prices[kind.strip()] = float(value)
        except ValueError:
            raise BadInput(f"--price {item[:40]!r} is not KIND=USD", hint="write e.g. --price post=0.005") from None
    return prices


def _print_crawl(result: Any) -> None:
    lost = [p["phase"] for p in result.lost]
    status = ("complete" if result.complete else f"finished, but lost phase {', '.join(lost)} (exit 6)" if lost
              else f"stopped early ({result.stopped}); add --resume to go on")
    click.echo(f"crawl of {result.niche} on {result.platform}: {status}")
    click.echo(f"  requests {result.requests:,}, pages {result.pages:,}, tasks " +
               ", ".join(f"{n:,} {s}" for s, n in sorted(result.tasks.items())))
    click.echo(f"  {'phase':<12}{'status':>11}{'requested':>11}{'stored':>8}{'items':>9}{'refused':>9}{'tombstoned':>12}")
    for p in result.phases:
        click.echo(f"  {p['phase']:<12}{p['status']:>11}{p['requested']:>11,}{p['stored']:>8,}{p['items']:>9,}"
                   f"{p['refused']:>9,}{p['tombstoned']:>12,}")
        if p["status"] in ("lost", "partial") and p["reason"]:
            click.echo(f"    {_said(p['reason'])}; fix: {_said(name_parameters(p['fix'] or 'see the reason', flag))}")
    for table, count in (result.imported.get("rows") or {}).items():
        click.echo(f"  {table:<10}{count:>10,}  (+{result.imported['added'][table]:,})")
    if result.platform == "x":
        click.echo(f"  spent {result.spent:,.2f} {result.currency} (pay-per-use, items returned)")
    click.echo(f"  raw pages {result.raw}")


def _log_requests(verbose: int) -> None:
    """-v: requests and waits on stderr; -vv: debug; -vvv: also tweepy's, urllib3's and httpx's debug lines."""
    import logging

    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if verbose > 2:
        for name in ("tweepy", "urllib3", "httpx"):
            logging.getLogger(name).setLevel(logging.DEBUG)


@main.command("crawl")
@click.argument("query_arg", metavar="QUERY")
@click.option("--platform", required=True, type=click.Choice(["x", "bluesky", "mastodon"]), help="Which platform to crawl.")
@workspace_option
@click.option("--max-requests", default=None, type=click.IntRange(1, 10_000_000),
              help="Stop after this many requests [default: the query's crawl.max_requests, else 500].")
@click.option("--depth", default=None, type=click.IntRange(0, 2),
              help="0: no follower lists; 1: of seeds and top authors; 2: also of the most followed found there.")
@click.option("--dry-run", is_flag=True, help="Print the requests, post reads and rate-limit time the crawl needs; send nothing.")
@click.option("--resume", is_flag=True, help="Continue an unfinished crawl of this niche where it stopped.")
@click.option("--restart", is_flag=True, help="Forget an earlier crawl of this niche and start over.")
@click.option("--update", is_flag=True, help="Fetch only what is new since the last finished crawl of this niche on "
              "this platform (exit 2 when there is none).")
@click.option("--api-url", default=None, help="API base URL (a mirror, a proxy or a local simulator) "
              "[default: $INFLUGRAPH_X_API_URL / $INFLUGRAPH_BLUESKY_API_URL, else the platform's].")
@click.option("--instance", default=None, help="Mastodon: the instance to crawl, as a URL (https://mastodon.social) "
              "[default: $INFLUGRAPH_MASTODON_INSTANCE]; the same as --api-url.")
@click.option("--pds-url", default=None, envvar="INFLUGRAPH_BLUESKY_PDS_URL",
              help="Bluesky: where to log in when the AppView asks for it [default: $INFLUGRAPH_BLUESKY_PDS_URL, else the API URL].")
@click.option("--x-tier", "tier", default=None, type=click.Choice(["self-serve", "pro", "enterprise"]),
              help="X access tier: query length and rate limits [default: the query's crawl.tier, else self-serve].")
@click.option("--max-cost", default=None, type=click.FloatRange(0, 1e9),
              help="X: stop before the money billed could pass this sum (USD; exit 5, resume with a higher budget).")
@click.option("--price", "price", multiple=True, metavar="KIND=USD",
              help="X: price per item over the built-in table and the query's [prices] (post=0.005, user=0.01).")
@click.option("--queries-dir", default="queries", show_default=True, type=click.Path(file_okay=False),
              help="Where QUERY is looked up when it is a niche name.")
@click.option("-v", "--verbose", count=True, help="Log requests and waits to stderr (-vv: debug, also of tweepy).")
@json_option
def crawl_command(query_arg: str, platform: str, workspace: str, max_requests: int | None, depth: int | None,
                  dry_run: bool, resume: bool, restart: bool, update: bool, api_url: str | None, instance: str | None,
                  pds_url: str | None,
                  tier: str | None, max_cost: float | None, price: tuple[str, ...], queries_dir: str, verbose: int,
                  as_json: bool) -> None:
    """Crawl a niche (a query file in queries/, or its name) from X, Bluesky or Mastodon into the workspace.

    X needs a bearer token in X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN); Bluesky's public
    API needs none. Each page is committed with its pagination cursor, so Ctrl-C (exit 3) or a
    crash loses nothing: add --resume to continue. A usage cap stops with exit 5.

    Secrets come from the environment only, never from flags: when a Bluesky AppView asks for
    a login, the crawler logs in with BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app
    password); a token in BLUESKY_ACCESS_TOKEN is sent from the start. Mastodon reads one
    instance (--instance) and, for complete follower lists, each account's home instance; a
    token in MASTODON_ACCESS_TOKEN is sent to the named instance only, for instances that hide
    public answers.

    \b
    Examples:
      influgraph crawl queries/persian-books.toml --platform x --dry-run
      influgraph crawl persian-books --platform bluesky -w ws --max-requests 300
      influgraph crawl queries/specialty-coffee.toml --platform x -w ws --resume
      influgraph crawl queries/specialty-coffee.toml --platform x -w ws --update
      influgraph crawl specialty-coffee --platform mastodon --instance https://mastodon.social -w ws
    """
    from pathlib import Path

    from .crawlers import cost_plan, crawl
    from .crawlers.run import EXIT_LOST_PHASE
    from .niches import find_query, load_query
    from .workspace import Workspace

    query = load_query(query_arg) if query_arg.endswith(".toml") or _names_a_file(query_arg) else find_query(query_arg, queries_dir)
    prices = _prices(price)
    if dry_run:
        plan = cost_plan(query, platform, max_requests=max_requests, depth=depth, prices=prices, tier=tier)
        if as_json:
            emit_json(plan.summary())
        else:
            _print_plan(plan)
        return
    if verbose:
        _log_requests(verbose)
    say = (lambda message: click.echo(message, err=True)) if (verbose or show_progress()) else None
    ws = Workspace(workspace)
    given = crawl_environment(platform)
    try:
        result = crawl(ws, query, platform, api_url=api_url or instance or given["api_url"], token=given["token"],
                       credentials=given.get("credentials"), pds_url=pds_url, max_requests=max_requests, depth=depth,
                       resume=resume, restart=restart, progress=say, max_cost=max_cost, prices=prices, tier=tier,
                       update=update, warn=lambda message: click.echo(f"warning: {name_parameters(message, flag)}", err=True))
    except AuthError as exc:
        raise _secret_hint(exc, platform, given) from None
    except Interrupted as exc:
        raise Interrupted(exc.message, param="resume", hint=f"resume with: influgraph crawl {query.path or query.name} "
                                                            f"--platform {platform} -w {ws.path} --resume") from None
    if as_json:
        emit_json({**result.summary(), "warnings": [name_parameters(w, flag) for w in result.warnings],
                   "phases": [{**p, "fix": p["fix"] and name_parameters(p["fix"], flag)} for p in result.phases]})
    else:
        _print_crawl(result)
    if result.lost:
        sys.exit(EXIT_LOST_PHASE)


@main.command("listen")
@click.option("--platform", required=True, type=click.Choice(["bluesky"]), help="Which platform's event stream.")
@workspace_option
@niche_options
@click.option("--jetstream-url", default=None, envvar="INFLUGRAPH_JETSTREAM_URL", metavar="URL",
              help="Jetstream subscription URL, ws:// or wss:// [default: $INFLUGRAPH_JETSTREAM_URL, else "
                   "wss://jetstream2.us-east.bsky.network/subscribe].")
@click.option("--duration", default="10m", show_default=True, help="Stop after this long: seconds, or a number and s, m, h or d.")
@click.option("--max-events", default=None, type=click.IntRange(1, 10**12), help="Stop after this many events.")
@click.option("--restart", is_flag=True, help="Forget the stored cursor and listen from the live stream.")
@json_option
def listen_command(platform: str, workspace: str, niche: str | None, query_file: str | None, queries_dir: str,
                   jetstream_url: str | None, duration: str, max_events: int | None, restart: bool, as_json: bool) -> None:
    """Listen to Bluesky's public event stream (Jetstream) and store a niche's posts, reposts, likes and follows.

    Keeps posts on the niche (its hashtags, keywords and languages), reposts and likes of them, and
    follows by or of niche members, as the Bluesky crawler stores them. Commits every few seconds;
    the cursor is kept in the workspace, so listening again (after Ctrl-C, exit 3, or a kill) goes on
    where it stopped and stores nothing twice. Stops by itself after --duration or --max-events.

    \b
    Examples:
      influgraph listen --platform bluesky --niche specialty-coffee -w ws --duration 30m
      influgraph listen --platform bluesky --query coffee.toml -w ws --max-events 100000 --json
    """
    from .crawlers.jetstream import listen
    from .workspace import Workspace

    query = load_niche(niche, query_file, queries_dir)
    say = (lambda message: click.echo(message, err=True)) if show_progress() and not as_json else None
    result = listen(Workspace(workspace), query, platform, jetstream_url=jetstream_url or None, duration=duration,
                    max_events=max_events, restart=restart, progress=say)
    summary = result.summary()
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    if as_json:
        emit_json({**summary, "notes": [_said(n) for n in result.notes]})
        return
    matched = summary["matched"]
    click.echo(f"listened to {result.niche} on bluesky for {result.seconds:,.1f} s (stopped: {result.stopped.replace('_', '-')}) "
               f"at {result.url}")
    click.echo(f"  events seen {result.seen:,}: matched {summary['matched_total']:,} ("
               + ", ".join(f"{matched.get(k, 0):,} {k}s" for k in ("post", "repost", "like", "follow"))
               + f"), not in the niche {result.unmatched:,}, skipped {summary['skipped_total']:,}")
    for reason, count in sorted(result.skipped.items()):
        click.echo(f"    skipped {count:,}: {reason}")
    click.echo(f"  stored {result.stored:,} events; " + ", ".join(
        f"{table} {result.rows.get(table, 0):,} (+{result.added.get(table, 0):,})" for table in ("accounts", "posts", "edges")))
    if result.reconnects:
        click.echo(f"  reconnected {result.reconnects:,} times")
    click.echo(f"  cursor {result.cursor} ({summary['cursor_at']}); listening again goes on from it")


@main.command("campaign")
@workspace_option
@niche_options
@click.option("--name", required=True, help="The campaign's name (how it is stored and shown in the report).")
@click.option("--hashtags", required=True, help="The campaign's hashtags, comma-separated (brewday,pourover).")
@click.option("--accounts", "accounts_file", default=None, type=click.Path(dir_okay=False),
              help="The picked accounts: a shortlist CSV (id column) or a list of ids or handles, one per line "
                   "[default: the campaign posts' authors].")
@click.option("--since", default=None, help="Start of the campaign (ISO date or time).")
@click.option("--until", default=None, help="End of the campaign, excluded (ISO date or time).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 100_000), help="Cascades and amplifiers to print.")
@click.option("--platform", default=None, help="Only this platform's accounts, posts and edges.")
@json_option
def campaign_command(workspace: str, niche: str | None, query_file: str | None, queries_dir: str, name: str, hashtags: str,
                     accounts_file: str | None, since: str | None, until: str | None, top: int, platform: str | None,
                     as_json: bool) -> None:
    """Campaign results: its cascades, the niche members reached, member against outsider engagement, the picks'
    delivery against their shortlist prediction, and the outside amplifiers (the next campaign's candidates).

    \b
    Examples:
      influgraph campaign --name brewday --niche specialty-coffee --hashtags brewday --since 2026-10-08 --until 2026-10-15 -w ws
      influgraph campaign --name brewday --niche specialty-coffee --hashtags brewday --accounts picks.csv \\
          --since 2026-10-08 --until 2026-10-15 -w ws --json
    """
    from .campaign import campaign_results, read_picks
    from .results import save_campaign
    from .workspace import Workspace

    query = load_niche(niche, query_file, queries_dir)
    picks = read_picks(accounts_file) if accounts_file else None
    ws = Workspace(workspace, create=False)
    with Reporter.for_cli(as_json=as_json).step(f"tracing campaign {name}"):
        result = campaign_results(ws, query, name=name, hashtags=_names(hashtags), accounts=picks, since=since, until=until,
                                  platform=platform)
    save_campaign(ws, result)
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    if as_json:
        emit_json(result.summary(top))
        return
    _print_campaign(result, top)


def _print_campaign(result: Any, top: int) -> None:
    """The campaign's verdict, facts, per-pick table and outside amplifiers, as `campaign` prints them."""
    f = result.facts
    click.echo(f"campaign {f['name']} in {f['niche']}: {f['verdict']}")
    click.echo(f"{f['posts']:,} campaign posts, {f['cascade_nodes']:,} cascade nodes (largest {f['largest_size']:,}, "
               f"depth {f['max_depth']}, breadth {f['max_breadth']}); {f['exposed']:,} accounts exposed, "
               f"{f['unique_reach']:,} of them niche members")
    click.echo(f"engagements: {f['member_engagements']:,} from {f['member_engagers']:,} niche members, "
               f"{f['outsider_engagements']:,} from {f['outsider_engagers']:,} outsiders")
    click.echo(f"{'pick':>4}  {'account':<22}{'posts':>6}{'nodes':>7}{'member':>8}{'outside':>8}{'reach':>7}{'new':>6}"
               f"{'predicted':>10}")
    for row in result.picks.iter_rows(named=True):
        predicted = "-" if row["predicted_marginal_reach"] is None else f"{row['predicted_marginal_reach']:,}"
        click.echo(f"{row['pick']:>4}  {(row['handle'] or row['id'])[:21]:<22}{row['posts']:>6,}{row['cascade_nodes']:>7,}"
                   f"{row['member_engagements']:>8,}{row['outsider_engagements']:>8,}{row['reach']:>7,}{row['new_reach']:>6,}"
                   f"{predicted:>10}")
    click.echo("outside amplifiers (engagements drawn, from members): " + (", ".join(
        f"{row['handle'] or row['id']} {row['drawn']:,}/{row['member_drawn']:,}"
        for row in result.amplifiers.head(top).iter_rows(named=True)) or "none"))


@main.command("export")
@workspace_option
@click.option("--format", "fmt", required=True, type=click.Choice(["html", "report", "gexf", "graphml", "csv", "parquet", "json"]),
              help="html: one interactive map; report: a folder with index.html and maps; gexf/graphml/json: one file; "
                   "csv/parquet: a folder with nodes and edges tables.")
@click.option("--out", "out_path", default=None, type=click.Path(),
              help="File or folder to write (see --format) [default: in graphs/, named after the niche or 'workspace'].")
@click.option("--niche", default=None, help="Only this niche's ranked candidates, sized by niche influence.")
@click.option("--max-nodes", default=None, type=click.IntRange(1, 10_000_000),
              help="Keep the top accounts by score [default: 1000 for maps, all for files].")
@click.option("--max-edges", default=None, type=click.IntRange(1, 100_000_000),
              help="Keep the heaviest edges among them [default: 5000 for maps, all for files].")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM so spreadsheets display Persian and Indonesian.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the map layout.")
@json_option
def export_command(workspace: str, fmt: str, out_path: str | None, niche: str | None, max_nodes: int | None,
                   max_edges: int | None, excel: bool, seed: int, as_json: bool) -> None:
    """Export an offline interactive map, a report page, or Gephi- and spreadsheet-ready files.

    \b
    Examples:
      influgraph export --format report -w ws --out report/
      influgraph export --format html -w ws --niche persian-books --out persian.html
      influgraph export --format gexf -w ws --out ws.gexf
      influgraph export --format csv -w ws --excel --out tables/
    """
    from .exports import export
    from .workspace import Workspace

    ws = Workspace(workspace, create=False)
    with Reporter.for_cli(as_json=as_json).step(f"exporting {fmt}") as tick:
        result = export(ws, fmt, out_path, niche=niche, max_nodes=max_nodes, max_edges=max_edges, excel=excel, seed=seed,
                        progress=tick)
    for note in result.notes:
        click.echo(f"note: {_said(note)}", err=True)
    if as_json:
        emit_json({"format": fmt, "caption": result.caption, "written": [str(p) for p in result.paths],
                   "notes": result.notes})
        return
    click.echo(result.caption)
    for path in result.paths:
        click.echo(f"wrote {path}")


@main.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="influgraph-demo", show_default=True,
              help="Folder for the demo's outputs (raw pages, workspace, planted truth).")
@click.option("--seed", default=7, show_default=True, type=SEED, help="Seed of the simulated world.")
@click.option("--weeks", default=1, show_default=True, type=click.IntRange(1, 2),
              help="Weeks of the simulated world: 2 crawls the first, moves the world on a week and crawls again with --update.")
@json_option
def demo_command(out_dir: str, seed: int, weeks: int, as_json: bool) -> None:
    """Run the whole pipeline on a built-in simulated world: no credentials, no network.

    Builds a seeded social world (niches in English, Indonesian and Persian, with planted
    celebrities, niche experts, brokers, a vanity account, brands and bots), serves it as an
    X-API-shaped service on 127.0.0.1, crawls it, imports the pages, prints statistics,
    finds communities and ranks each niche.

    \b
    Examples:
      influgraph demo
      influgraph demo --out /tmp/demo --seed 3 --json
      influgraph demo --weeks 2
    """
    from pathlib import Path

    from .demo import run_demo

    with Reporter.for_cli(as_json=as_json).step("demo") as tick:
        result = run_demo(Path(out_dir), seed=seed, progress=lambda message: tick(message, 0, None),
                          **({"weeks": weeks} if weeks != 1 else {}))
    summary = result.summary()
    if as_json:
        emit_json(summary)
        return
    click.echo(_format_stats(summary["stats"]))
    groups = summary["communities"]
    click.echo(f"communities  {groups['communities']} found, modularity {groups['modularity']:.4f}, "
               f"stability NMI {groups['stability_nmi']:.3f} over {groups['runs']} runs")
    for row in groups["profiles"][:8]:
        tags = " ".join(f"#{t}" for t in (row["hashtags"] or [])[:3])
        click.echo(f"  {row['community']:>3}  {row['size']:>6,} accounts  {tags}  top: {', '.join((row['top_accounts'] or [])[:2])}"
                   f"  brokers: {', '.join((row['brokers'] or [])[:2])}")
    for name, ranked in summary["rankings"].items():
        click.echo(f"niche {name}: {ranked['members']:,} members")
        for row in ranked["top"][:3]:
            click.echo(f"  {row['rank']:>3}  {row['handle'] or row['id']:<16} {row['role']:<14} influence {row['niche_influence']:.3f}"
                       f"  relevance {row['audience_relevance']:.2f}  reach {row['reach']:,}")
        for line in ranked["warnings"][:2]:
            click.echo(f"  warning: {line}")
        chosen = ranked["shortlist"]
        click.echo(f"  shortlist of {chosen['k']}: " + ", ".join(
            f"{p['handle'] or p['id']} (+{p['marginal_reach']})" for p in chosen["picks"])
            + f" reach {chosen['shortlist_reach']} of {chosen['members']} members; top-{chosen['k']} by followers "
            f"{chosen['top_k_by_followers_reach']}, by niche score {chosen['top_k_by_niche_score_reach']}")
    if "week2" in summary:
        week = summary["week2"]
        click.echo(f"week two     {week['start'][:10]} to {week['end'][:10]}, niches crawled again with --update, "
                   "then the complaint: " + ", ".join(f"{name} {u['requests']:,} requests"
                                                       for name, u in week["updates"].items()))
        for name, found in week.get("trends", {}).items():
            click.echo(f"  rising in {name}: " + ", ".join(r["handle"] or r["id"] for r in found["rising"])
                       + (f"; follower spikes: {len(found['spikes'])}" if found["spikes"] else ""))
        if week.get("campaign"):
            c = week["campaign"]
            click.echo(f"  campaign: {c.get('verdict', '')}")
        if week.get("amplifiers"):
            a = week["amplifiers"]
            first = a["first_spreader"]
            click.echo(f"  complaint {a['query']}: first spread by {(first['handle'] or first['id']) if first else 'nobody'}; "
                       f"answer first (reach among the brand's {a['brand_followers'] or 0:,} followers): "
                       + ", ".join(f"{r['handle'] or r['id']} ({r['reach']:,})" for r in a["amplifiers"]))
    click.echo("outputs")
    for name, path in summary["outputs"].items():
        click.echo(f"  {name:<24} {path}")


@main.command("check")
@workspace_option
@click.option("--repair", is_flag=True, help="Drop damaged stored results (never tables); unreferenced table files are kept.")
@json_option
def check_command(workspace: str, repair: bool, as_json: bool) -> None:
    """Verify every table and stored result of a workspace: one line per damaged file, with the way out.

    Exit 0 when the workspace is healthy (or --repair dropped all its damage), 2 when damage is left.

    \b
    Examples:
      influgraph check -w ws
      influgraph check -w ws --repair --json
    """
    from .integrity import check_workspace
    from .workspace import Workspace

    result = check_workspace(Workspace(workspace, create=False), repair=repair)
    if as_json:
        data = result.to_dict()
        for damage in data["damaged"]:
            damage["recovery"] = _said(damage["recovery"])
        emit_json(data)
    else:
        for damage in result.damaged:
            click.echo(("dropped: " if damage.path in result.dropped else "damaged: ") + _said(damage.line()))
        for path in result.unreferenced:
            click.echo(f"unreferenced: {path} (no manifest names this table file; kept)")
        click.echo(f"{'healthy' if result.healthy else 'damaged'}: {result.tables} tables and {result.results} "
                   f"stored results checked, {len(result.damaged)} damaged, {len(result.dropped)} dropped")
    if not result.healthy:
        sys.exit(EXIT_BAD_INPUT)
