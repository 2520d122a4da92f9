"""Niche queries (TOML) and multilingual matching: validation with close matches, folding, byte-exact text."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from influgraph.errors import BadInput
from influgraph.niches import (NicheQuery, bio_match_expr, find_query, hashtags_expr, load_query, normalize,
                               post_in_niche_expr)

from shared_data import QUERIES


def _write(tmp_path: Path, text: str, name: str = "q.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_queries_load_and_match_the_demo_world(demo_world) -> None:
    truth = demo_world.truth()
    by_name = {n["name"]: n for n in truth["niches"]}
    files = sorted(QUERIES.glob("*.toml"))
    assert {load_query(f).languages[0] for f in files} >= {"en", "id", "fa"}
    for file in files:
        query = load_query(file)
        assert set(query.seed_accounts) == set(by_name[query.name]["seed_accounts"]), file
        assert set(query.hashtags) == set(by_name[query.name]["hashtags"]), file


def test_persian_query_keeps_its_text_byte_exact() -> None:
    query = load_query(QUERIES / "persian-books.toml")
    assert "کتاب‌خوانی".encode() in [h.encode() for h in query.hashtags]


@pytest.mark.parametrize("body, expected", [
    ('name = "x"\nhashtag = ["a"]\n', "did you mean hashtags"),
    ('name = "x"\nkeywords = []\n', "empty list"),
    ('name = "x"\nhashtags = ["kopi", "#Kopi"]\n', "twice"),
    ('name = "x"\nhashtags = ["كتاب"]\nkeywords=["a"]\n[exclude]\nhashtag = ["b"]\n', "did you mean hashtags"),
    ('name = "x"\nhashtags = ["# 1"]\n', "not a hashtag"),
    ('name = "x"\nhashtags = ["2024"]\n', "not a hashtag"),
    ('name = "x"\nkeywords = "coffee"\n', "must be a list"),
    ('name = "x"\n', "no keywords, hashtags or seed_accounts"),
    ('keywords = ["a"]\n', "missing 'name'"),
    ('name = "../etc"\nkeywords = ["a"]\n', "not allowed"),
    ('name = "x"\nkeywords = ["a"]\n[crawl]\nmax_request = 5\n', "did you mean max_requests"),
    ('name = "x"\nkeywords = ["a"]\n[crawl]\nmax_requests = -5\n', "whole number"),
    ('name = "x"\nkeywords = ["a"]\n[weights]\nniche_pagrank = 1\n', "did you mean niche_pagerank"),
    ('name = "x"\nkeywords = ["a"]\n[weights]\naudience_relevance = "high"\n', "number"),
    ('name = "x"\nkeywords = ["a", \n', "not valid TOML"),
    ('name = "x"\nkeywords = ["\u200c"]\n', "'keywords' holds '\\u200c', which is nothing once normalised"),
    ('name = "x"\nkeywords = ["a", "\u200d\u0640"]\n', "which is nothing once normalised"),
    ('name = "x"\nhashtags = ["#\u200c\u200c"]\n', "'hashtags' holds"),
    ('name = "x"\nkeywords = ["a"]\n[exclude]\nkeywords = ["\u200b\u0301"]\n', "'exclude.keywords' holds"),
    ('name = "x\\n"\nkeywords = ["a"]\n', "name 'x\\n' is not allowed"),
    ('name = "x"\nkeywords = ["a"]\n[weights]\nauthority = 1e308\nniche_pagerank = 1e308\n', "from 0 to 1,000"),
    ('name = "x"\nkeywords = ["a"]\n[weights]\nauthority = nan\n', "'weights.authority' must be a number"),
    ('name = "x"\nkeywords = ["a"]\n[weights]\nauthority = inf\n', "'weights.authority' must be a number"),
    ('name = "x"\nkeywords = ["a"]\n[weights]\nauthority = 0\n', "every '[weights]' value is 0"),
    ('name = "x"\nkeywords = ["a"]\n[crawl]\ndepth = 100000000000000000000\n', "whole number from 0"),
    ('name = "x"\nkeywords = ["a"]\n[crawl]\ndepth = 9\n', "'crawl.depth' must be 0, 1 or 2, got 9"),
])
def test_bad_queries_are_one_line_errors_naming_the_key(body: str, expected: str, tmp_path: Path) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(BadInput) as error:
        load_query(path)
    message = error.value.one_line()
    assert expected in message and str(path) in message and "\n" not in message


def test_duplicates_are_found_after_folding_arabic_and_persian_letters(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "x"\nkeywords = ["كتاب", "کتاب"]\n')  # Arabic kaf vs Persian keheh
    with pytest.raises(BadInput, match="twice"):
        load_query(path)


def test_find_query_by_name_with_close_matches(tmp_path: Path) -> None:
    assert find_query("persian-books", QUERIES).languages == ("fa",)
    with pytest.raises(BadInput, match="did you mean persian-books"):
        find_query("persian-book", QUERIES)
    with pytest.raises(BadInput, match="no niche queries"):
        find_query("anything", tmp_path)


def test_normalisation_folds_width_case_letters_and_joiners() -> None:
    assert normalize("ＫＯＰＩ") == "kopi"
    assert normalize("كتاب‌ها") == normalize("کتابها") == "کتابها"
    assert normalize("يى") == "یی"
    assert normalize("كــتاب") == "کتاب"  # tatweel


def test_hashtag_parsing() -> None:
    text = "# 1 is not one, #2024 neither; #kopi_susu, #کتاب‌خوانی and #Kopi2 are"
    tags = pl.DataFrame({"t": [text]}).select(hashtags_expr("t")).item().to_list()
    assert tags == ["kopi_susu", "کتاب‌خوانی", "Kopi2"]
    assert tags[1].encode() == "کتاب‌خوانی".encode()


def test_posts_in_niche_across_scripts_languages_and_exclusions() -> None:
    query = NicheQuery(name="books", hashtags=("کتاب‌خوانی",), keywords=("کتاب‌ها", "single origin"),
                       languages=("fa", "en"), exclude_hashtags=("giveaway",))
    posts = pl.DataFrame({
        "text": ["مطالعه #كتابخوانى امروز", "این كتابها عالی است", "great single origin today", "single originality",
                 "#کتاب‌خوانی #giveaway", "کتاب‌ها", None],
        "hashtags": [[], [], [], [], [], [], None],
        "lang": ["fa", "fa", "en", "en", "fa", "id", None],
    })
    assert posts.select(post_in_niche_expr(query)).to_series().to_list() == [True, True, True, False, False, False, False]


def test_bio_match() -> None:
    query = NicheQuery(name="coffee", keywords=("barista",), hashtags=("pourover",))
    bios = pl.DataFrame({"bio": ["Head Barista at X", "baristas", "loves #PourOver", None]})
    assert bios.select(bio_match_expr(query)).to_series().to_list() == [True, False, True, False]


def test_niche_names_that_folded_to_one_keep_two_rankings_two_shortlists_and_two_maps(demo_copy, tmp_path) -> None:
    """`dup-books` and `dup_books` (and `books-`/`books_`) once shared one stored ranking and one map file."""
    from click.testing import CliRunner

    from influgraph.cli import main
    from influgraph.exports.report import write_report
    from influgraph.results import niche_key, stored_rankings, stored_shortlists
    from influgraph.workspace import Workspace

    body = (QUERIES / "persian-books.toml").read_text(encoding="utf-8").replace('name = "persian-books"', 'name = "{}"')
    names = ["dup-books", "dup_books", "books-", "books_"]
    for name in names:
        query = _write(tmp_path, body.format(name), f"{name}.toml")
        for command in (["rank", "--top", "3"], ["shortlist", "--k", "2"]):
            run = CliRunner().invoke(main, [*command, "--query", str(query), "-w", str(demo_copy)])
            assert run.exit_code == 0, run.output
    ws = Workspace(demo_copy)
    assert {"rank_dup_books", "rank_books_", "rank_persian_books", "shortlist_persian_books"} <= set(ws.result_names())
    rankings, shortlists = stored_rankings(ws), stored_shortlists(ws)
    assert set(names) <= set(rankings) and set(names) <= set(shortlists)
    assert {"persian-books", "specialty-coffee", "kuliner-nusantara"} <= set(shortlists)  # the demo's, read exactly
    assert all(rankings[n].table["niche"].unique().to_list() == [n] for n in names)
    report = write_report(ws, tmp_path / "report", max_nodes=40, max_edges=80)
    files = {report.maps[n].name for n in names}
    assert len(files) == 4 and "map-dup-books.html" in files and "map-persian-books.html" == report.maps["persian-books"].name
    index = report.index.read_text(encoding="utf-8")
    assert all(f'href="maps/{f}"' in index for f in files)
    assert len({niche_key(n) for n in names + ["all", "workspace", "x" * 64, "x" * 65]}) == 8


@pytest.mark.parametrize("case", ["100k keywords", "1 MB keyword", "10k nesting", "5 MB file"])
def test_huge_or_deep_niche_files_are_refused_with_exit_2_in_one_line(case: str, tmp_path: Path) -> None:
    """A niche with 100,000 keywords or a 1 MB keyword once ended in 'regex error: Compiled regex exceeds size limit'."""
    from click.testing import CliRunner

    from influgraph.cli import main

    body, expected = {
        "100k keywords": ('name = "x"\nkeywords = [' + ", ".join(f'"w{i}"' for i in range(100_000)) + "]\n",
                          "'keywords' lists 100,000 values, more than 1,000"),
        "1 MB keyword": ('name = "x"\nkeywords = ["' + "ک" * 1_000_000 + '"]\n', "more than 200"),
        "10k nesting": ('name = "x"\nkeywords = ' + "[" * 10_000 + "]" * 10_000 + "\n", "nested too deeply"),
        "5 MB file": ('name = "x"\nkeywords = ["a"]\n' + "# padding\n" * 500_000, "larger than 4,000,000 bytes"),
    }[case]
    path = _write(tmp_path, body)
    run = CliRunner().invoke(main, ["rank", "--query", str(path), "-w", str(tmp_path / "ws")])
    assert run.exit_code == 2, run.output[-500:]
    assert expected in run.stderr and str(path) in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_a_niche_at_the_documented_maximum_matches_without_a_regex_error() -> None:
    """1,000 keywords of 200 characters are matched in bounded patterns (one pattern would exceed the engine's limit)."""
    from influgraph.niches import MAX_TERM_CHARS, MAX_TERMS

    words = tuple(f"{i:04d}" + "ک" * (MAX_TERM_CHARS - 4) for i in range(MAX_TERMS))
    query = NicheQuery(name="big", keywords=words, hashtags=("کتاب",))
    frame = pl.DataFrame({"text": [f"سلام {words[-1]}!", "سلام", "#کتاب"], "hashtags": [[], [], []],
                          "lang": ["fa"] * 3, "bio": [words[3], "x", "a کتاب"]})
    found = frame.select(post=post_in_niche_expr(query), bio=bio_match_expr(query))
    assert found["post"].to_list() == [True, False, True] and found["bio"].to_list() == [True, False, True]


def test_niche_keys_are_injective_and_keep_the_names_stored_before() -> None:
    """Every name over a-z, 0-9, '-' and '_' up to 3 characters (and odd library names) gets its own key."""
    import itertools
    import re

    from influgraph.results import _stem, niche_key

    alphabet = "ab1-_"
    names = ["".join(p) for n in range(1, 4) for p in itertools.product(alphabet, repeat=n)]
    names += ["all", "workspace", "Persian Books!", "x" * 64, "x" * 65, "کتاب", "\ud800", "books\n"]
    keys, stems = [niche_key(n) for n in names], [_stem(n) for n in names]
    assert len(set(keys)) == len(set(stems)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_-]{1,64}", k) for k in keys)
    assert all(re.fullmatch(r"[a-z0-9_-]{1,70}", s) for s in stems)  # "agreement_" + stem fits a result name
    for niche in ("specialty-coffee", "kuliner-nusantara", "persian-books", "books-", "a--b"):
        assert niche_key(niche) == niche and _stem(niche) == niche.replace("-", "_")


def test_a_ranking_stored_under_the_old_name_is_still_found(tmp_path: Path) -> None:
    from influgraph.results import load_ranking
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    table = pl.DataFrame({"niche": ["my_niche"], "id": ["1"], "rank": [1]})
    ws.write_result("rank_my_niche", table)  # as stored before names were derived injectively
    assert load_ranking(ws, "my_niche").table.equals(table)
    assert load_ranking(ws, "my-niche") is None  # the old name was ambiguous: its niche column decides
