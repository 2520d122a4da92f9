"""The report's numbers for people and the charts' SVG cleaning, without a browser."""
from __future__ import annotations

import polars as pl

from influgraph.exports.charts import clean_svg, overlap_matrix
from influgraph.exports.report import compact, share


def test_counts_print_as_people_read_them() -> None:
    assert [compact(v) for v in (153.0, 940, 1234, 12_345, 2_501_021, 3.5e9, None, 0.25)] == [
        "153", "940", "1,234", "12.3K", "2.5M", "3.5B", "—", "0.25"]
    assert [share(v) for v in (0.9428, 0.0, 1.0, None)] == ["94%", "0%", "100%", "—"]


def test_clean_svg_drops_scripts_handlers_links_and_foreign_objects() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="x()">'
           '<script>alert(1)</script><a xlink:href="javascript:x()"><text onclick="y()">&lt;img&gt;</text></a>'
           '<foreignObject><div>z</div></foreignObject><rect width="1" height="1"/></svg>')
    cleaned = clean_svg(svg)
    for bad in ("onload", "onclick", "<script", "javascript:", "foreignObject", "href"):
        assert bad not in cleaned, bad
    assert "&lt;img&gt;" in cleaned and "<rect" in cleaned


def test_the_overlap_heatmap_has_a_cell_per_ordered_pair() -> None:
    overlap = pl.DataFrame({"account_a": ["a", "a", "b"], "account_b": ["b", "c", "c"],
                            "share_of_a_in_b": [0.5, 0.1, 0.2], "share_of_b_in_a": [0.4, 0.3, 0.6]})
    cells = overlap_matrix(overlap)
    assert cells.height == 9 and cells.filter(pl.col("a") == pl.col("b"))["share"].null_count() == 3
    assert cells.filter((pl.col("a") == "c") & (pl.col("b") == "a"))["share"][0] == 0.3


def test_a_chart_of_texts_xml_cannot_carry_renders_instead_of_aborting_the_process() -> None:
    """vl-convert aborts the interpreter (a panic that cannot unwind) on a control character in a text it draws, and
    refuses a lone surrogate; `render_svg` replaces both by U+FFFD first. Run in a child process: a regression kills it, not the suite."""
    import subprocess
    import sys

    code = (
        "from influgraph.exports.charts import render_svg\n"
        "names = ['ctrl\\x02name', 'bell\\x07', 'del\\x0bx', 'kopi \u0643\u062a\u0627\u0628']\n"
        "spec = {'data': {'values': [{'who': n, 'x': i} for i, n in enumerate(names)]}, 'mark': 'text',\n"
        "        'encoding': {'x': {'field': 'x', 'type': 'quantitative', 'title': 'axis\\x01'},\n"
        "                     'text': {'field': 'who'}}, 'title': 'title\\x1f'}\n"
        "svg = render_svg(spec)  # control characters: without the replacement, vl-convert aborts here\n"
        "render_svg({**spec, 'title': 'lone\\udc00'})  # a lone surrogate: it would raise instead\n"
        "print(svg.count('\\ufffd'), '\\x02' in svg, 'kopi' in svg, '\u0643\u062a\u0627\u0628' in svg)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    replaced, control_left, latin, arabic = done.stdout.decode("utf-8").split()
    assert int(replaced) >= 5 and control_left == "False" and latin == "True" and arabic == "True"
