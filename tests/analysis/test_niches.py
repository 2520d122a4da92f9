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
