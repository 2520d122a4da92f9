"""The report's charts: Vega-Lite specs rendered to inline SVG at export time, offline.

Why Vega-Lite through `vl-convert-python` (see the README, "Maps, the report and exports"): the
charts come from a well-kept grammar-of-graphics library, not hand-drawn SVG, and `vl-convert`
bundles Vega, Vega-Lite and a JavaScript engine in one wheel, so rendering needs no network, no
browser and no Node. The page receives plain SVG: no chart script runs in it, so the report's
Content-Security-Policy (scripts only by hash, no `eval`) stays as strict as before and the page
stays one self-contained file.

Safety: Vega's SVG renderer escapes every text it draws (handles, hashtags); `clean_svg` then
parses the result and drops any `<script>`, `<foreignObject>`, event-handler attribute or link,
so a chart cannot carry markup that runs.

Each chart function takes polars frames and returns a Vega-Lite spec (a dict); `render_svg`
turns a spec into SVG text. The number of marks is fixed by the data (one point per candidate in
the scatter, one cell per pair in the heatmap), which the browser tests count.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Sequence

import numpy as np
import polars as pl

from .files import xml_safe

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["render_svg", "clean_svg", "BackgroundRenderer", "overlap_matrix", "scatter_spec", "distribution_spec", "cumulative_spec", "overlap_spec",
           "communities_spec", "ROLE_COLOURS", "SCATTER_MAX"]

SCATTER_MAX = 3000  # at most this many candidates in the scatter (top by niche influence)
ROLE_COLOURS = {"niche expert": "#1b7f3b", "peer": "#8a94a6", "broker": "#1f77b4", "celebrity": "#d62728",
                "brand or organisation": "#9467bd", "suspected bot": "#ff7f0e", "inauthentic audience": "#8c564b"}
_CONFIG = {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 12, "grid": True, "gridColor": "#eef0f4"},
           "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"}, "font": "sans-serif",
           "aria": False, "background": "white"}
_SVG = "{http://www.w3.org/2000/svg}"


def clean_svg(svg: str) -> str:
    """`svg` without anything that could run or load: scripts, foreign objects, `on*` attributes, links.

    Parameters
    ----------
    svg : SVG text (as Vega renders it).

    Returns
    -------
    The SVG text, re-serialised, with the default namespace and no XML declaration.

    Example: ``clean_svg('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>')`` has no onload.
    """
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{_SVG}script", f"{_SVG}foreignObject", "script", "foreignObject"):
                parent.remove(child)
    for element in root.iter():
        for name in list(element.attrib):
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or local == "href":
                del element.attrib[name]
    return ET.tostring(root, encoding="unicode")


def render_svg(spec: dict) -> str:
    """The SVG of a Vega-Lite `spec`, rendered offline by vl-convert and cleaned (`clean_svg`).

    Example: ``render_svg(distribution_spec(table)).startswith("<svg")``.
    """
    import vl_convert

    full = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "config": _CONFIG, **_xml_text(spec)}
    return clean_svg(vl_convert.vegalite_to_svg(full))


def _xml_text(value):
    """`value` (a Vega-Lite spec or a part of one) with every character XML 1.0 cannot carry replaced by U+FFFD.

    vl-convert writes texts into SVG and parses it again; a control character (in a name, a bio,
    a community's terms) makes that parse panic inside its JavaScript engine, where the panic
    cannot unwind, so the whole process aborts (vega/vl-convert#220) instead of raising; a lone
    surrogate makes it raise.
    """
    if isinstance(value, str):
        return xml_safe(value)[0]
    if isinstance(value, dict):
        return {_xml_text(key): _xml_text(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_xml_text(item) for item in value]
    return value


class BackgroundRenderer:
    """Renders Vega-Lite specs to SVG on one background thread while the caller goes on.

    vl-convert releases the GIL while it renders (and while its JavaScript engine starts, about
    1 s, begun at once here), so the report lays out its maps and builds its tables meanwhile.
    `submit` returns a future of `render_svg(spec)`; a failed render raises from its `result()`.

    Example: ``with BackgroundRenderer() as render: svg = render.submit(spec); ...; svg.result()``.
    """

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="influgraph-charts")
        self._pool.submit(_start_engine)

    def submit(self, spec: dict) -> "Future[str]":
        """The future SVG of `spec` (see `render_svg`)."""
        return self._pool.submit(render_svg, spec)

    def __enter__(self) -> "BackgroundRenderer":
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_engine() -> None:
    try:
        render_svg({"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}})
    except Exception:  # the real renders report any failure
        pass


def _roles_scale(roles: Sequence[str]) -> dict:
    known = [r for r in ROLE_COLOURS if r in roles] + sorted(r for r in set(roles) if r not in ROLE_COLOURS)
    return {"domain": known, "range": [ROLE_COLOURS.get(r, "#444") for r in known]}


def scatter_spec(table: pl.DataFrame, *, labelled: int = 8, width: int = 520, height: int = 300) -> dict:
    """Reach (log scale) against niche influence, one point per candidate, coloured by role.

    The project's core insight in one picture: celebrities and vanity accounts sit far right and
    low (big reach, little influence in the niche), experts high. The top `labelled` accounts by
    niche influence and every account with a warning are named.

    Example: ``render_svg(scatter_spec(stored.table))``.
    """
    top = table.sort("niche_influence", descending=True, nulls_last=True).head(SCATTER_MAX)
    warned = pl.col("warning").is_not_null() if "warning" in top.columns else pl.lit(False)
    points = top.select(pl.coalesce("handle", "id").alias("account"), pl.col("reach").fill_null(0).clip(1),
                        pl.col("niche_influence").fill_null(0.0), pl.col("role").fill_null("none"),
                        (pl.int_range(pl.len()) < labelled).alias("top"), warned.alias("warned"))
    named = points.filter(pl.col("top") | pl.col("warned"))
    x = {"field": "reach", "type": "quantitative", "scale": {"type": "log"}, "title": "reach (followers, log scale)"}
    y = {"field": "niche_influence", "type": "quantitative", "title": "niche influence", "scale": {"domain": [0, 1]}}
    return {"width": width, "height": height, "layer": [
        {"data": {"values": points.to_dicts()}, "mark": {"type": "circle", "opacity": 0.75},
         "encoding": {"x": x, "y": y, "size": {"value": 28},
                      "color": {"field": "role", "type": "nominal", "title": "role",
                                "scale": _roles_scale(points["role"].unique().to_list())}}},
        {"data": {"values": named.to_dicts()}, "mark": {"type": "text", "align": "left", "dx": 5, "dy": -4, "fontSize": 10},
         "encoding": {"x": x, "y": y, "text": {"field": "account"}}}]}


def distribution_spec(table: pl.DataFrame, *, width: int = 520, height: int = 160) -> dict:
    """How niche influence is distributed over the candidates: a histogram of 25 bins.

    Example: ``render_svg(distribution_spec(stored.table))``.
    """
    values = table.select(pl.col("niche_influence").fill_null(0.0)).to_dicts()
    return {"width": width, "height": height, "data": {"values": values}, "mark": {"type": "bar", "color": "#4c78a8"},
            "encoding": {"x": {"field": "niche_influence", "bin": {"maxbins": 25, "extent": [0, 1]}, "title": "niche influence"},
                         "y": {"aggregate": "count", "title": "candidates", "scale": {"type": "symlog"}}}}


def cumulative_spec(curves: pl.DataFrame, *, width: int = 520, height: int = 220) -> dict:
    """Cumulative unique niche reach after k picks: the shortlist against top-k by followers and by score.

    `curves` has columns k, reach and series (see `report.reach_curves`).

    Example: ``render_svg(cumulative_spec(reach_curves(...)))``.
    """
    return {"width": width, "height": height, "data": {"values": curves.to_dicts()},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "k", "type": "ordinal", "title": "accounts picked (k)", "axis": {"labelAngle": 0}},
                         "y": {"field": "reach", "type": "quantitative", "title": "unique niche members reached"},
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "scale": {"range": ["#1b7f3b", "#d62728", "#4c78a8"]}}}}


def overlap_matrix(overlap: pl.DataFrame) -> pl.DataFrame:
    """Every ordered pair (a, b) of the overlap table's accounts, with the share of a's audience also in b's.

    The diagonal is null (an account against itself). Rows: a, b, share, order_a, order_b.

    Example: ``overlap_matrix(stored.overlap).height == n * n``.
    """
    names = pl.concat([overlap["account_a"], overlap["account_b"]]).unique(maintain_order=True)
    one = overlap.select(pl.col("account_a").alias("a"), pl.col("account_b").alias("b"), pl.col("share_of_a_in_b").alias("share"))
    other = overlap.select(pl.col("account_b").alias("a"), pl.col("account_a").alias("b"), pl.col("share_of_b_in_a").alias("share"))
    order = pl.DataFrame({"name": names, "order": np.arange(len(names))})
    grid = pl.DataFrame({"a": names}).join(pl.DataFrame({"b": names}), how="cross")
    return (grid.join(pl.concat([one, other]).unique(["a", "b"], keep="first"), on=["a", "b"], how="left")
            .join(order.rename({"name": "a", "order": "order_a"}), on="a")
            .join(order.rename({"name": "b", "order": "order_b"}), on="b").sort("order_a", "order_b"))


def overlap_spec(overlap: pl.DataFrame, *, size: int = 380) -> dict:
    """The audience overlap as a heatmap: cell (a, b) is the share of a's niche audience also reached by b.

    n accounts give n * (n - 1) cells (the diagonal, an account against itself, is left blank).

    Example: ``render_svg(overlap_spec(stored.overlap))``.
    """
    cells = overlap_matrix(overlap)
    names = cells.filter(pl.col("order_b") == 0)["a"].to_list()
    return {"width": size, "height": size, "data": {"values": cells.filter(pl.col("a") != pl.col("b")).select("a", "b", "share").to_dicts()},
            "mark": {"type": "rect"},
            "encoding": {"x": {"field": "b", "type": "nominal", "sort": names, "title": "also reached by",
                               "axis": {"labelAngle": -60, "labelLimit": 90}},
                         "y": {"field": "a", "type": "nominal", "sort": names, "title": "audience of",
                               "axis": {"labelLimit": 110}},
                         "color": {"field": "share", "type": "quantitative", "title": "share of audience",
                                   "scale": {"scheme": "blues", "domain": [0, 1]}, "legend": {"format": ".0%"}}}}


def communities_spec(profiles: pl.DataFrame, labels: dict[int, str], *, top: int = 12, width: int = 420) -> dict:
    """Community sizes as horizontal bars, each named by its number and distinctive hashtags.

    Example: ``render_svg(communities_spec(profiles, community_labels(profiles)))``.
    """
    rows = profiles.sort("size", descending=True).head(top).select("community", "size")
    values = [{"community": f"{c} {labels.get(int(c), '')}".strip()[:48], "size": int(s)} for c, s in rows.iter_rows()]
    return {"width": width, "height": 18 * max(len(values), 1), "data": {"values": values}, "mark": {"type": "bar", "color": "#4c78a8"},
            "encoding": {"y": {"field": "community", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 260}},
                         "x": {"field": "size", "type": "quantitative", "title": "accounts"}}}
