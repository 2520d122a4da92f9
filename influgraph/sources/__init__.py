"""Sources turn platform pages and files into rows of the three tables; they know nothing about graphs.

Readers only, one module per input family: `xjson` (X API v2 pages), `bluesky` (Bluesky AppView
answers), `tabular` (CSV, TSV, Parquet and SNAP edge lists) and `graphfiles` (GraphML, GEXF, GML);
`detect` tells a file's format from its content, and `base` holds what they share (`ImportOptions`,
`ReadResult`, bad-row handling, safe byte and text input). `influgraph.ingest` picks the reader for
each file; the simulated platform the demo and the tests crawl lives in `influgraph.simulated`.
"""
from __future__ import annotations

__all__: list[str] = []
