"""Report sections over time (campaign results, crisis amplifiers, trends): one shape, one renderer.

Each kind of stored result that answers a question over time has its own module
(`exports.report_campaign`, `exports.report_amplifiers`, `exports.report_trends`) with a
`section(workspace)` function returning a `ReportSection`, or None when the workspace holds no
such result. The report calls every builder named in `BUILDERS` and renders what they return
through one template block, so a new kind of section is a new module, not a new template.

Sections carry plain data: strings (escaped by the template), rows of strings, and Vega-Lite
specs that the report renders to inline SVG at export time (`charts.render_svg`), so the page
keeps its Content-Security-Policy and works offline.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import charts

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future

    from ..workspace import Workspace

__all__ = ["ReportSection", "SectionTable", "SectionChart", "BUILDERS", "time_sections"]

BUILDERS: tuple[str, ...] = ("report_trends", "report_campaign", "report_amplifiers")  # modules of this package


@dataclass
class SectionTable:
    """A table of a section: its caption, column titles, rows of display strings, and which columns are numbers."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: tuple[int, ...] = ()


@dataclass
class SectionChart:
    """A chart of a section: an id (for anchors and tests), a title, and the Vega-Lite spec to render."""

    id: str
    title: str
    spec: dict
    svg: str = ""  # filled by `time_sections`


@dataclass
class ReportSection:
    """One section of the report: `lead` holds the decision first, then facts, tables and charts.

    Example: ``ReportSection("campaign-launch", "Campaign launch", ["It reached 412 niche members."], [("posts", "12")], [], [])``.
    """

    anchor: str
    title: str
    lead: list[str]
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[SectionTable] = field(default_factory=list)
    charts: list[SectionChart] = field(default_factory=list)


def time_sections(workspace: "Workspace", builders: tuple[str, ...] = BUILDERS, *,
                  render: "Callable[[dict], Future[str]] | None" = None) -> list[ReportSection]:
    """Every section the workspace's stored results give, in `builders` order, with their charts rendered.

    A builder module that does not exist yet, or that returns None, is skipped.

    Parameters
    ----------
    workspace : the workspace whose stored results the builders read.
    builders : module names inside `influgraph.exports`, each with a `section(workspace)` function.

    render : when given, each chart's `svg` is `render(spec)`, a future of the SVG
        (`charts.BackgroundRenderer.submit`), instead of the SVG rendered now.

    Returns
    -------
    The sections, each chart's `svg` filled.
    """
    out: list[ReportSection] = []
    for name in builders:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__package__}.{name}":
                raise
            continue
        made = module.section(workspace)
        for section in made if isinstance(made, list) else [made] if made else []:
            for chart in section.charts:
                chart.svg = charts.render_svg(chart.spec) if render is None else render(chart.spec)
            out.append(section)
    return out
