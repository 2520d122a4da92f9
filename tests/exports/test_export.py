"""Exports: GEXF, GraphML, CSV, Parquet and node-link JSON read back by other tools; safety; the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import igraph as ig
import networkx as nx
import polars as pl
import pytest
from click.testing import CliRunner

import hostile_world
from influgraph.cli import main
from influgraph.exports import export
from influgraph.exports.files import write_graph_file
from influgraph.exports.views import graph_view, read_view_data
from influgraph.ingest import read_path
from influgraph.exports.paths import safe_filename
from influgraph.exports.report import write_report
from influgraph.schema import Batch, conform
from influgraph.sources.base import ImportOptions
from influgraph.workspace import Workspace


def _tags(html: str) -> list[tuple[str, list]]:
    """Every start tag the HTML parser sees (script bodies are opaque to it, as to a browser)."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run.result


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_world.build(tmp_path_factory.mktemp("hostile") / "ws")


def _attributes_match(view, graph: nx.DiGraph) -> None:
    for row in view.nodes.iter_rows(named=True):
        data = graph.nodes[row["id"]]
        assert data["label"] == row["label"]
        for key in ("community", "role", "tier", "name", "bio"):
            if row[key] is not None:
                assert data[key] == row[key], (row["id"], key)
        assert float(data["score"]) == pytest.approx(row["score"])
    for row in view.edges.head(500).iter_rows(named=True):
        data = graph.edges[row["src"], row["dst"]]
        assert float(data["weight"]) == pytest.approx(row["weight"]) and data["kind"] == row["kind"]


@pytest.mark.parametrize("niche", [None, "persian-books"])
def test_gexf_reads_back_in_networkx_with_counts_and_attributes(demo, tmp_path: Path, niche) -> None:
    view = graph_view(read_view_data(Workspace(demo.workspace)), niche=niche)
    path = write_graph_file(view, "gexf", tmp_path / "g.gexf")[0]
    assert b'xmlns="http://gexf.net/1.3"' in path.read_bytes()[:400] and b'version="1.3"' in path.read_bytes()[:400]
    graph = nx.read_gexf(path)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (view.nodes.height, view.edges.height)
    _attributes_match(view, graph)
    assert graph.nodes[view.nodes["id"][0]]["viz"]["size"] == pytest.approx(40.0)  # Gephi size: top score is largest
    # igraph has no GEXF reader: it takes the file through networkx, and counts must still agree
    assert ig.Graph.from_networkx(graph).vcount() == view.nodes.height
    # and influgraph's own importer reads its export back
    again = read_path(path, ImportOptions()).batch
    assert again.accounts.height == view.nodes.height
    assert again.edges.height == view.edges.height


def test_graphml_reads_back_in_networkx_and_igraph(demo, tmp_path: Path) -> None:
    view = graph_view(read_view_data(Workspace(demo.workspace)), niche="specialty-coffee")
    path = write_graph_file(view, "graphml", tmp_path / "g.graphml")[0]
    graph = nx.read_graphml(path)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (view.nodes.height, view.edges.height)
    _attributes_match(view, graph)
    native = ig.Graph.Read_GraphML(str(path))
    assert (native.vcount(), native.ecount()) == (view.nodes.height, view.edges.height)
    by_id = dict(zip(native.vs["id"], native.vs["niche_influence"]))
    assert all(by_id[i] == pytest.approx(s) for i, s in view.nodes.select("id", "niche_influence").iter_rows())
    assert set(native.vs["role"]) == set(view.nodes["role"].drop_nulls())


def test_csv_tables_are_gephi_shaped_and_round_trip_persian_byte_exact(demo, tmp_path: Path) -> None:
    ws = Workspace(demo.workspace)
    view = graph_view(read_view_data(ws), niche="persian-books")
    nodes_csv, edges_csv = write_graph_file(view, "csv", tmp_path / "plain")
    nodes = pl.read_csv(nodes_csv, infer_schema=False)
    assert nodes.columns[:2] == ["Id", "Label"] and nodes.height == view.nodes.height
    persian = view.nodes.filter(pl.col("name").str.contains(r"\p{Arabic}"))
    assert persian.height > 100
    back = dict(zip(nodes["Id"], nodes["name"]))
    assert all(back[i] == name for i, name in persian.select("id", "name").iter_rows())
    edges = pl.read_csv(edges_csv, infer_schema=False)
    assert edges.columns[:5] == ["Source", "Target", "Type", "Weight", "Kind"] and edges.height == view.edges.height
    assert set(edges["Type"]) == {"Directed"}
    excel = write_graph_file(view, "csv", tmp_path / "excel", excel=True)[0]
    raw = excel.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw[3:] == nodes_csv.read_bytes()
    for name in persian["name"]:
        assert name.encode("utf-8") in raw


def test_parquet_and_node_link_json_hold_the_same_graph(demo, tmp_path: Path) -> None:
    view = graph_view(read_view_data(Workspace(demo.workspace)))
    nodes, edges = write_graph_file(view, "parquet", tmp_path / "pq")
    assert pl.read_parquet(nodes).equals(view.nodes) and pl.read_parquet(edges).equals(view.edges)
    path = write_graph_file(view, "json", tmp_path / "g.json")[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    graph = nx.node_link_graph(data, edges="edges")
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (view.nodes.height, view.edges.height)
    assert all(isinstance(n["id"], str) for n in data["nodes"])


def test_64_bit_ids_that_differ_in_the_last_digit_stay_two_nodes(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ids = ["1500000000000000001", "1500000000000000002", "1500000000000000003"]
    ws.commit(Batch(accounts=conform(pl.DataFrame({"id": ids, "platform": ["x"] * 3, "handle": ["a", "b", "c"]}), "accounts"),
                    edges=conform(pl.DataFrame({"src": ids[:2], "dst": ids[1:], "kind": ["reply", "reply"], "platform": ["x"] * 2}), "edges")))
    view = graph_view(read_view_data(ws))
    assert sorted(view.nodes["id"]) == ids
    data = json.loads(write_graph_file(view, "json", tmp_path / "g.json")[0].read_text())
    assert sorted(n["id"] for n in data["nodes"]) == ids
    assert sorted(nx.read_gexf(write_graph_file(view, "gexf", tmp_path / "g.gexf")[0]).nodes) == ids


def test_budget_keeps_top_accounts_and_heaviest_edges_and_says_so(demo) -> None:
    ws = Workspace(demo.workspace)
    whole = graph_view(read_view_data(ws))
    view = graph_view(read_view_data(ws), max_nodes=200, max_edges=300)
    assert view.nodes.height == 200 and view.edges.height == 300
    assert view.total_nodes == whole.nodes.height and view.total_edges == whole.edges.height
    assert view.caption() == f"showing 200 of {whole.nodes.height:,} accounts and 300 of {whole.edges.height:,} connections"
    threshold = whole.nodes["score"].sort(descending=True)[199]
    assert view.nodes["score"].min() >= threshold
    kept = set(view.nodes["id"])
    assert set(view.edges["src"]) <= kept and set(view.edges["dst"]) <= kept
    among = whole.edges.filter(pl.col("src").is_in(list(kept)) & pl.col("dst").is_in(list(kept)))
    assert view.edges["weight"].min() >= among["weight"].sort(descending=True)[299]


def test_csv_neutralises_formulas_from_hostile_text(hostile, tmp_path: Path) -> None:
    ws, _ = hostile
    nodes_csv, _ = write_graph_file(graph_view(read_view_data(ws)), "csv", tmp_path / "t")
    frame = pl.read_csv(nodes_csv, infer_schema=False)
    for column in frame.columns:
        assert not frame[column].drop_nulls().str.contains(r"^[=+\-@\t\r]").any(), column
    assert frame.filter(pl.col("Label").str.starts_with("'=HYPERLINK")).height == 1


def test_report_file_names_from_hostile_niche_names_stay_inside_the_folder(hostile, tmp_path: Path) -> None:
    ws, _ = hostile
    report = write_report(ws, tmp_path / "report")
    folder = (tmp_path / "report").resolve()
    assert len(report.maps) == 1 + 1 + 25
    for path in report.maps.values():
        assert path.resolve().parent == folder / "maps" and path.suffix == ".html"
    assert sorted(p.name for p in folder.rglob("*")) == sorted(["index.html", "maps", *(p.name for p in report.maps.values())])
    for text in ("../../etc/passwd", "..", "/abs", "a/b\\c", "\u202eevil", "", "CON"):
        stem = safe_filename(text)
        assert stem and "/" not in stem and "\\" not in stem and not stem.startswith(".")


def test_every_page_escapes_hostile_text(hostile, tmp_path: Path) -> None:
    ws, pairs = hostile
    report = write_report(ws, tmp_path / "report")
    for page in [report.index, *report.maps.values()]:
        html = page.read_text(encoding="utf-8")
        for _, payload in pairs:
            if "<" in payload:
                assert payload not in html, (page.name, payload)
        tags = _tags(html)
        assert [t for t, _ in tags].count("script") == (1 if page == report.index else 5)  # a map: library, labels, shared controls, page, data
        handlers = [(t, a) for t, attributes in tags for a, _ in attributes if a.startswith("on") or a in ("srcdoc", "src")]
        assert handlers == [], handlers
        charts = {"svg"} if page == report.index else set()  # the report's charts: cleaned SVG (exports/charts.py)
        assert not ({"img", "svg", "iframe", "object", "base", "link", "video", "math", "details", "foreignobject"} - charts) & {t for t, _ in tags}
        inputs = [dict(a).get("type") for t, a in tags if t == "input"]
        assert set(inputs) <= {"search", "checkbox"} and inputs.count("search") == (len(report.maps) - 1 if page == report.index else 1)


@pytest.mark.parametrize("fmt,out,extra", [("html", "m.html", []), ("report", "rep", []), ("gexf", "g.gexf", []),
                                           ("graphml", "g.graphml", []), ("csv", "c", ["--excel"]), ("parquet", "p", []),
                                           ("json", "g.json", ["--niche", "kuliner-nusantara", "--max-nodes", "50"])])
def test_cli_export_writes_every_format(demo, tmp_path: Path, fmt: str, out: str, extra: list[str]) -> None:
    result = CliRunner().invoke(main, ["export", "-w", str(demo.workspace), "--format", fmt, "--out", str(tmp_path / out),
                                       "--json", *extra])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)["written"]
    assert written and all(Path(p).exists() for p in written)


@pytest.mark.parametrize("args,message", [
    (["--format", "gexf", "--niche", "no-such-niche"], "no ranking for niche 'no-such-niche'"),
    (["--format", "gexf", "--excel"], "--excel applies to --format csv only"),
    (["--format", "svg"], "Invalid value for '--format'"),
    (["--format", "html", "--max-nodes", "0"], "--max-nodes"),
    (["--format", "report", "--niche", "persian-books"], "--niche does not apply"),
])
def test_cli_export_refuses_bad_options_with_one_line_and_exit_2(demo, tmp_path: Path, args, message: str) -> None:
    result = CliRunner().invoke(main, ["export", "-w", str(demo.workspace), "--out", str(tmp_path / "x.gexf"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.gexf").exists()


def test_cli_export_refuses_a_folder_for_a_file_format_and_keeps_what_is_there(demo, tmp_path: Path) -> None:
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.txt").write_text("mine")
    result = CliRunner().invoke(main, ["export", "-w", str(demo.workspace), "--format", "gexf", "--out", str(tmp_path / "keep")])
    assert result.exit_code == 2 and "is one file" in result.stderr
    assert (tmp_path / "keep" / "a.txt").read_text() == "mine"


def test_library_export_matches_the_view(demo, tmp_path: Path) -> None:
    ws = Workspace(demo.workspace)
    result = export(ws, "json", tmp_path / "x.json", niche="persian-books")
    view = graph_view(read_view_data(ws), niche="persian-books")
    assert result.caption == view.caption()
    assert len(json.loads(result.paths[0].read_text())["nodes"]) == view.nodes.height


def test_cli_export_without_out_writes_into_graphs(demo, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", "-w", str(demo.workspace), "--format", "html", "--niche", "persian-books"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "graphs" / "map-persian-books.html").exists()
