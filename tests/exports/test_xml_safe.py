"""GEXF and GraphML exports parse and validate whatever Unicode the workspace holds (exports/files.py, `xml_safe`).

One rule for both formats: every character XML 1.0 cannot carry becomes U+FFFD, and the export
notes how many. Files are parsed with lxml and validated against the official schemas in
../shared/data/graph-file-schemas: GraphML against its XSD, GEXF against the GEXF 1.3 RelaxNG
(the authoritative schema; SOURCE.txt there records that the shipped GEXF XSD wrongly expects
viz elements in the gexf namespace).
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile_world
from influgraph.cli import main
from influgraph.exports.files import write_graph_file, xml_id, xml_safe
from influgraph.exports.views import graph_view, read_view_data
from influgraph.schema import Batch, conform
from shared_data import shared_path

etree = pytest.importorskip("lxml.etree")

NOT_XML = [*(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"), "\ufffe", "\uffff"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
# one or more characters of every kind: controls, C1, format, private use, unassigned, noncharacters,
# separators, combining marks, right-to-left, astral, the BOM, and what XML itself escapes
EVERY_CLASS = ("\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\x85\x9f \u00a0\u200b\u200c\u200d\u200e\u202e\u2028\u2029\ufeff"
               "\ue000\U000f0000\u0378\ufdd0\ufffe\uffff\U0001fffe\U0010ffff\u0301\u0645\u06cc\U0001f600<>&'\"\t\r\n")
# text for names, bios and handles: any Unicode, often what XML cannot carry; no lone surrogates, which a
# polars string (UTF-8) cannot hold, so no workspace can: `xml_safe` and the graph writer get them below
TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(NOT_XML),
                         st.sampled_from(list(EVERY_CLASS))), max_size=30)


@pytest.fixture(scope="module")
def schemas():
    folder = shared_path("graph-file-schemas")
    return {"gexf": etree.RelaxNG(file=str(folder / "gexf-1.3" / "gexf.rng")),
            "graphml": etree.XMLSchema(file=str(folder / "graphml-1.0" / "local" / "graphml.xsd"))}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_world.build(tmp_path_factory.mktemp("xml") / "ws")[0]


@pytest.fixture(scope="module")
def view(hostile):
    return graph_view(read_view_data(hostile))


def parse_valid(path: Path, schema) -> "etree._ElementTree":
    document = etree.parse(str(path))
    assert schema.validate(document), (path.name, str(schema.error_log.last_error))
    return document


def texts(document, fmt: str) -> list[str]:
    """Every attribute value and text node of the document."""
    found = []
    for element in document.iter():
        found += list(element.attrib.values())
        found += [element.text] if element.text else []
    return found


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=3, max_size=3),
       ids=st.lists(TEXT.filter(lambda t: t != "" and not t.isdigit()), min_size=3, max_size=3, unique=True))
def test_every_gexf_and_graphml_parses_and_validates_whatever_the_text(view, schemas, tmp_path: Path, names,
                                                                      ids) -> None:
    nodes = view.nodes
    column = {k: [*(row[i] for row in names), *nodes[k].to_list()[3:]] for i, k in enumerate(("name", "bio", "handle"))}
    renamed = dict(zip(nodes["id"].to_list()[:3], ids))
    changed = replace(view, nodes=nodes.with_columns(pl.Series("name", column["name"], pl.String),
                                                     pl.Series("bio", column["bio"], pl.String),
                                                     pl.Series("label", column["handle"], pl.String),
                                                     pl.col("id").replace(renamed)),
                      edges=view.edges.with_columns(pl.col("src").replace(renamed), pl.col("dst").replace(renamed)))
    expected = sum(xml_safe(text)[1] for row in names for text in row)
    for fmt in ("gexf", "graphml"):
        notes: list[str] = []
        out = write_graph_file(changed, fmt, tmp_path / f"g.{fmt}", notes=notes)[0]
        document = parse_valid(out, schemas[fmt])
        assert len(document.findall(".//{*}node")) == view.nodes.height
        written = {node.get("id") for node in document.findall(".//{*}node")}
        assert {xml_id(i, fmt) for i in ids} <= written and len(written) == view.nodes.height
        assert len(document.findall(".//{*}edge")) == view.edges.height
        for row in names:
            for text in row:
                if xml_safe(text)[0].strip():
                    assert xml_safe(text)[0].replace("\r", "\n") in " ".join(texts(document, fmt)).replace("\r", "\n")
        assert (f"{expected:,} character" in notes[0]) if expected else notes == []


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from(NOT_XML + SURROGATES)), max_size=40))
def test_xml_safe_replaces_exactly_what_xml_cannot_carry_surrogates_included(text: str) -> None:
    safe, count = xml_safe(text)
    assert len(safe) == len(text)
    assert count == sum(a != b for a, b in zip(text, safe))
    assert all(b == "\ufffd" for a, b in zip(text, safe) if a != b)
    assert not re.search("[\ud800-\udfff\ufffe\uffff\x00-\x08\x0b\x0c\x0e-\x1f]", safe)
    element = etree.fromstring(f"<a v={quoteattr(safe)}>{escape(safe)}</a>".encode("utf-8"))
    assert element.text in (None, safe.replace("\r\n", "\n").replace("\r", "\n"))


@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_the_writers_polars_rule_replaces_what_xml_safe_replaces(text: str) -> None:
    from influgraph.exports.files import XML_UNSAFE_PATTERN

    found = pl.Series([text]).str.replace_all(XML_UNSAFE_PATTERN, "\ufffd")[0]
    assert (found, pl.Series([text]).str.count_matches(XML_UNSAFE_PATTERN)[0]) == xml_safe(text)


def test_controls_in_ids_and_attributes_still_give_valid_files_with_distinct_ids(view, schemas, tmp_path: Path) -> None:
    # lone surrogates cannot reach the writer (a polars string is UTF-8): `xml_safe` is tested on them above
    first, second, third = view.nodes["id"].to_list()[:3]
    renamed = {second: "id\x02\ufffe", third: "id\x02\uffff"}
    changed = replace(view, nodes=view.nodes.with_columns(
        pl.when(pl.col("id") == first).then(pl.lit("controls \x01\x1f\ufffe\uffff")).otherwise(pl.col("name")).alias("name"),
        pl.col("id").replace(renamed)),
        edges=view.edges.with_columns(pl.col("src").replace(renamed), pl.col("dst").replace(renamed)))
    for fmt in ("gexf", "graphml"):
        notes: list[str] = []
        document = parse_valid(write_graph_file(changed, fmt, tmp_path / f"g.{fmt}", notes=notes)[0], schemas[fmt])
        written = {node.get("id") for node in document.findall(".//{*}node")}
        assert {"id_x0002__xFFFE_", "id_x0002__xFFFF_"} <= written and len(written) == view.nodes.height  # still two ids
        assert notes and notes[0].startswith("4 characters")
        ends = {edge.get(end) for edge in document.findall(".//{*}edge") for end in ("source", "target")}
        assert ends <= written


@pytest.mark.parametrize("niche", [None, "specialty-coffee", "kuliner-nusantara", "persian-books"])
def test_every_demo_export_validates_against_the_official_schemas(demo_run, schemas, tmp_path: Path, niche) -> None:
    from influgraph.workspace import Workspace

    view = graph_view(read_view_data(Workspace(demo_run.result.workspace)), niche=niche)
    for fmt in ("gexf", "graphml"):
        path = write_graph_file(view, fmt, tmp_path / f"g.{fmt}")[0]
        document = parse_valid(path, schemas[fmt])
        head = path.read_bytes()[:600]
        assert b"www.w3.org/2001/XMLSchema-instance" in head if fmt == "graphml" else b"xsi" not in head
        graph = document.find("{*}graph")
        assert graph is not None and graph.get("name") is None  # no empty <graph name="">
        assert len(document.findall(".//{*}node")) == view.nodes.height
        assert len(document.findall(".//{*}edge")) == view.edges.height


def test_ids_keep_verbatim_when_they_can_and_stay_distinct_when_escaped() -> None:
    assert [xml_id(i, "graphml") for i in ("1500000000000000001", "did:plc:ab2c", "a_b", "a b", "my_xbox")] == [
        "1500000000000000001", "did:plc:ab2c", "a_b", "a_x0020_b", "my_xbox"]
    assert xml_id("a b_x", "graphml") == "a_x0020_b_x005F_x" and xml_id("a b", "gexf") == "a b"
    assert xml_id("کتاب", "gexf") == "کتاب" and xml_id("\x01", "gexf") == "_x0001_"


def test_cli_exports_of_a_workspace_holding_every_class_parse_validate_and_note_the_count(hostile, schemas,
                                                                                          tmp_path: Path) -> None:
    import shutil

    from influgraph.workspace import Workspace

    shutil.copytree(hostile.path, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    first = ws.table("accounts")["id"][0]
    ws.commit(Batch(accounts=conform(pl.DataFrame({"id": [first], "platform": ["x"], "handle": ["h" + EVERY_CLASS],
                                                   "name": [EVERY_CLASS], "bio": ["bio " + EVERY_CLASS]}), "accounts")))
    bad = 4 * xml_safe(EVERY_CLASS)[1]  # in the label, handle, name and bio
    for fmt in ("gexf", "graphml"):
        out = tmp_path / f"w.{fmt}"
        result = CliRunner().invoke(main, ["export", "-w", str(ws.path), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"note: {bad} characters that XML 1.0 cannot carry" in result.stderr
        parse_valid(out, schemas[fmt])
        niche = CliRunner().invoke(main, ["export", "-w", str(ws.path), "--format", fmt, "--niche", "evilniche",
                                          "--out", str(tmp_path / f"n.{fmt}")])
        assert niche.exit_code == 0, niche.output
        parse_valid(tmp_path / f"n.{fmt}", schemas[fmt])
