"""Exports: what a page or file shows (`views`), the map (`html_map`, placed by `layout`), the report
page (`report`), graph files for other tools (`files`), analysis tables (`tables`), and where
they are written (`paths`). `export` is the one entry point, by format name.

The package is `exports`, not `export`: importing a subpackage sets it as an attribute of its
parent, so a package `influgraph.export` would replace the function `influgraph.export`.
"""
from __future__ import annotations

from .run import EXPORT_FORMATS, ExportResult, export

__all__ = ["EXPORT_FORMATS", "ExportResult", "export"]
