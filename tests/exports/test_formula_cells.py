"""CSV cells never start a spreadsheet formula, in disguise either (exports/tables.py, `spreadsheet_safe`).

Disguises: leading whitespace, control or format characters before = + - @, the full-width forms
(＝ ＋ － ＠) and small forms, and cells starting with a tab or CR.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influgraph.exports.tables import spreadsheet_safe, write_table

DISGUISED = [" =1+1", "  =HYPERLINK(\"http://evil.invalid\")", "\u3000=cmd|' /C calc'!A0", "＝HYPERLINK(\"x\")", " ＋1",
             "－1", "＠SUM(A1)", "\t=1", "\r=1", "\n=1", "\u00a0@x", "\u200b=1", "\ufeff=1", "\x01=1", "﹦1", "﹢1", "﹣1",
             "﹫x", "\t", "\rtext", " \t -2", "=1", "+1", "-1", "@x"]
PLAIN = ["a=b", "1-2", "e@mail.example", "", "x\n=1", "  ", "کتاب‌خوان", "'already", "text ＝ more"]
STARTS = set("=+-@＝＋－＠﹦﹢﹣﹫")


def formula_like(cell: str) -> bool:
    """What a spreadsheet might run: a formula character after characters it may skip, or a tab/CR start."""
    if cell[:1] in ("\t", "\r"):
        return True
    rest = cell.lstrip("".join(c for c in set(cell) if c.isspace() or unicodedata.category(c) in ("Cc", "Cf")))
    return rest[:1] in STARTS


@pytest.mark.parametrize("excel", [False, True])
def test_disguised_formulas_get_an_apostrophe_and_plain_text_is_untouched(tmp_path: Path, excel: bool) -> None:
    frame = pl.DataFrame({"cell": DISGUISED + PLAIN, "n": list(range(len(DISGUISED + PLAIN)))})
    path = write_table(frame, tmp_path / "t.csv", excel=excel)
    back = pl.read_csv(path, infer_schema=False)["cell"].to_list()
    assert back[:len(DISGUISED)] == ["'" + cell for cell in DISGUISED]
    assert [c or "" for c in back[len(DISGUISED):]] == PLAIN


ANY = st.characters(exclude_categories=["Cs"])  # polars strings are UTF-8: they cannot hold a lone surrogate
TRICKY = st.sampled_from(sorted(STARTS) + [" ", "\t", "\r", "\n", "\u3000", "\u200b", "\ufeff", "\x00"])


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.one_of(ANY, TRICKY), max_size=8))
def test_no_cell_is_formula_like_after_neutralisation(text: str) -> None:
    cell = spreadsheet_safe(pl.DataFrame({"c": [text]}, schema={"c": pl.String}))["c"][0]
    assert not formula_like(cell), repr(cell)
    assert cell in (text, "'" + text)
