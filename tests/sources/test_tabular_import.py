"""Edge lists (CSV, TSV, Parquet, SNAP) and graph files (GraphML, GEXF): mapping, direction, text, real data."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import networkx as nx
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influgraph.ingest import import_paths, read_path
from influgraph.sources.base import ImportOptions
from influgraph.sources.detect import detect_format
from influgraph.workspace import Workspace

from shared_data import shared_path as _data


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _edges(path: Path, **options) -> pl.DataFrame:
    return read_path(path, ImportOptions(**options)).batch.edges


def test_column_mapping_reverse_and_kind_synonyms(tmp_path: Path) -> None:
    path = _write(tmp_path, "rt.csv", "retweeted_user,retweeter,what,n\n100,200,retweet,3\n100,300,RT,1\n")
    edges = _edges(path, source_col="retweeter", target_col="retweeted_user", kind_col="what", weight_col="n")
    assert edges.select("src", "dst", "kind", "weight").sort("src").rows() == [
        ("200", "100", "repost", 3.0), ("300", "100", "repost", 1.0)]
    reversed_ = _edges(path, source_col="retweeted_user", target_col="retweeter", kind_col="what", reverse=True)
    assert sorted(reversed_.select("src", "dst").rows()) == [("200", "100"), ("300", "100")]


def test_parallel_rows_in_one_file_are_summed(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", "source,target,kind\na,b,mention\na,b,mention\na,b,reply\n")
    rows = _edges(path).select("src", "dst", pl.col("kind").cast(pl.String), "weight").rows()
    assert sorted(rows) == [("a", "b", "mention", 2.0), ("a", "b", "reply", 1.0)]


def test_default_kind_is_follow_with_a_note(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "source,target\n1,2\n")
    result = read_path(path)
    assert result.batch.edges["kind"].to_list() == ["follow"]
    assert any("kind=follow" in note for note in result.notes)
    assert _edges(path, kind="mention")["kind"].to_list() == ["mention"]


def test_nineteen_digit_ids_survive_every_format(tmp_path: Path) -> None:
    big, other = "1440716895355764743", "1440716895355764744"
    csv = _write(tmp_path, "big.csv", f"source,target\n{big},{other}\n")
    snap = _write(tmp_path, "big.txt", f"{big} {other}\n")
    parquet = tmp_path / "big.parquet"
    pl.DataFrame({"source": [int(big)], "target": [int(other)]}).write_parquet(parquet)
    for path in (csv, snap, parquet):
        assert _edges(path).select("src", "dst").rows() == [(big, other)], path


def test_text_rows_become_posts_with_hashtags_parsed_correctly(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv",
                  'source,target,kind,text\n'
                  'a,b,reply,"# 1 is not a tag, #2024 neither, but #کتاب‌خوانی and #kopi_susu are"\n'
                  'c,b,repost,"#Brexit now"\n')
    batch = read_path(path).batch
    posts = {row["author_id"]: row for row in batch.posts.iter_rows(named=True)}
    assert posts["a"]["hashtags"] == ["کتاب‌خوانی", "kopi_susu"]  # reply: written by the replier
    assert posts["b"]["hashtags"] == ["Brexit"]  # repost: the amplified content is the target's
    assert posts["a"]["text"].encode() == "# 1 is not a tag, #2024 neither, but #کتاب‌خوانی and #kopi_susu are".encode()
    edge_posts = dict(batch.edges.select("src", "post_id").rows())
    assert edge_posts["a"] == posts["a"]["id"] and edge_posts["c"] == posts["b"]["id"]


def test_reimporting_a_text_file_is_idempotent(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "source,target,kind,text\na,b,mention,hello #world\n")
    ws = Workspace(tmp_path / "ws")
    first, second = import_paths(ws, [path]).commit, import_paths(ws, [path]).commit
    assert first.content_hash == second.content_hash and not second.changed


def test_icwsm_retweet_rows_with_hashtags_and_times(tmp_path: Path) -> None:
    """Headerless TSV: source, target, type, n_urls, unix time, hashtags...; 'A B' means B retweeted A."""
    path = _data("icwsm-polarization/retweet.edges.gz")
    result = read_path(path, ImportOptions(format="tsv", source_col="1", target_col="2", kind_col="3",
                                           time_col="5", hashtags_col="6+", reverse=True))
    edges, posts = result.batch.edges, result.batch.posts
    assert set(edges["kind"].cast(pl.String).unique()) <= {"repost", "reply"}
    assert edges["weight"].sum() == 61_157  # every row is counted once
    assert edges["at"].null_count() == 0 and edges["at"].min().year == 2010
    first = gzip.open(path, "rt").readline().rstrip("\n").split("\t")
    row = edges.filter((pl.col("src") == first[1]) & (pl.col("dst") == first[0]))
    assert row.height >= 1  # reversed: the retweeter acts toward the retweeted
    tagged = posts.filter(pl.col("author_id") == first[0]).explode("hashtags")["hashtags"].to_list()
    assert {t.lstrip("#") for t in first[5:]} <= set(tagged)


def test_snap_lists_real_counts() -> None:
    reply = _data("higgs-twitter/higgs-reply_network.edgelist")
    edges = _edges(reply)
    ids = pl.concat([edges["src"], edges["dst"]]).unique()
    assert (ids.len(), edges.height) == (38_918, 32_523)
    assert edges.filter(pl.col("src") == pl.col("dst")).height == 343


def test_networkx_edgelist_weights_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "nx.txt", "0 4 {'weight': 0.25}\n4 0 {'weight': 0.5}\n")
    assert sorted(_edges(path).select("src", "dst", "weight").rows()) == [("0", "4", 0.25), ("4", "0", 0.5)]


def test_karate_graphml_undirected_edges_both_ways() -> None:
    path = _data("networksci-book-extra/karate_club.graphml")
    assert detect_format(path) == "graphml"
    batch = read_path(path).batch
    assert batch.edges.height == 2 * 78 and batch.accounts.height == 34
    assert batch.edges["kind"].null_count() == 0


@pytest.mark.parametrize("relative, nodes, edges, directed", [
    ("polblogs/polblogs.gml", 1490, 19020, True),
    ("newman-football/football.gml", 115, 613, False),
    ("newman-dolphins/dolphins.gml", 62, 159, False),
])
def test_newman_gml_files(relative: str, nodes: int, edges: int, directed: bool) -> None:
    path = _data(relative)
    assert detect_format(path) == "gml"
    batch = read_path(path).batch
    assert batch.accounts.height == nodes
    assert batch.edges.height == (edges if directed else 2 * edges)
    assert batch.edges["kind"].null_count() == 0 and set(batch.edges["kind"].cast(pl.String)) == {"follow"}


def test_gexf_round_trip_with_kinds_and_names(tmp_path: Path) -> None:
    graph = nx.DiGraph()
    graph.add_node("1", label="کتاب‌خوان")
    graph.add_node("2", label="pecinta_kopi")
    graph.add_edge("1", "2", kind="retweet", weight=2.0)
    path = tmp_path / "g.gexf"
    nx.write_gexf(graph, path)
    batch = read_path(path).batch
    assert batch.edges.select("src", "dst", "kind", "weight").rows() == [("1", "2", "repost", 2.0)]
    assert dict(batch.accounts.select("id", "handle").rows())["1"].encode() == "کتاب‌خوان".encode()


@pytest.mark.parametrize("content, expected", [
    (b"source,target\n1,2\n", "csv"),
    (b"source\ttarget\tkind\n1\t2\trepost\n", "tsv"),
    (b"1\t2\n3\t4\n", "snap"),
    (b"# comment\n1 2 3\n", "snap"),
    (b'{"data": []}', "x-json"),
    (b"PAR1....", "parquet"),
    (b'<?xml version="1.0"?><graphml>', "graphml"),
    (b"\xef\xbb\xbfsource,target\r\n1,2\r\n", "csv"),
])
def test_detect_format_from_content(content: bytes, expected: str, tmp_path: Path) -> None:
    plain = tmp_path / "input.dat"
    plain.write_bytes(content)
    packed = tmp_path / "input.dat.gz"
    packed.write_bytes(gzip.compress(content))
    assert detect_format(plain) == detect_format(packed) == expected


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfsource,target,kind\r\n1,2,like\r\n")
    assert _edges(path).select("src", "dst", "kind").rows() == [("1", "2", "like")]


rows = st.lists(st.tuples(st.sampled_from(["1", "2", "3", "۴", "x_y"]), st.sampled_from(["1", "2", "3", "۴"]),
                          st.sampled_from(["repost", "mention", "like"]), st.integers(1, 5)), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_workspace(data: list[tuple], rnd) -> None:
    import tempfile

    shuffled = data[:]
    rnd.shuffle(shuffled)
    hashes = []
    with tempfile.TemporaryDirectory() as folder:
        for i, order in enumerate((data, shuffled)):
            path = Path(folder) / f"edges{i}.csv"
            path.write_text("source,target,kind,weight\n" + "".join(f"{a},{b},{k},{w}\n" for a, b, k, w in order))
            os.utime(path, (1_790_000_000, 1_790_000_000))  # the rows' observed_at is the file's time: the same for both
            hashes.append(import_paths(Workspace(Path(folder) / f"ws{i}"), [path], ImportOptions(dataset="same")).commit.content_hash)
    assert hashes[0] == hashes[1]
