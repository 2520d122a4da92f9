"""Write analysis tables as CSV, Parquet or JSON, atomically, with spreadsheet-safe CSV cells.

A table and the tables that go with it (a ranking and its agreement, communities and their
profiles, a shortlist and its overlap) are written side by side (`write_tables`): the first to
`out`, each other one beside it as `STEM-NAME.SUFFIX` (kuliner.csv, kuliner-agreement.csv).

CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a
leading apostrophe; list columns are joined with "; " and structs written as JSON, so every
cell is plain text. Text is written as UTF-8, byte-exact (`excel=True` adds a BOM so Persian
and Indonesian display in spreadsheets).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl

from ..atomic import atomic_write
from ..errors import BadInput
from .paths import check_parent

__all__ = ["write_table", "write_tables", "spreadsheet_safe", "TABLE_FORMATS"]

TABLE_FORMATS = (".csv", ".parquet", ".json")


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text-only copy of `frame` where no cell can be read as a spreadsheet formula."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Struct):
            column = column.struct.json_encode()
        elif isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            column = column.list.eval(pl.element().struct.json_encode()).list.join("; ")
        elif isinstance(dtype, (pl.List, pl.Array)):
            column = column.list.eval(pl.element().cast(pl.String)).list.join("; ")
        elif dtype != pl.String:
            columns.append(column)
            continue
        columns.append(pl.when(column.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + column).otherwise(column).alias(name))
    return frame.select(columns)


def _jsonable(frame: pl.DataFrame) -> bytes:
    return json.dumps(frame.to_dicts(), ensure_ascii=False, indent=1, default=str).encode("utf-8")


def write_table(frame: pl.DataFrame, out: str | Path, *, excel: bool = False) -> Path:
    """Write `frame` to `out` as CSV, Parquet or JSON (by extension), atomically; returns the path.

    Example: ``write_table(ranking.table, "kuliner.csv", excel=True)``.
    """
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise BadInput(f"cannot write {suffix or 'a file without extension'}", path=path, param="out",
                       hint=f"name a file ending in {', '.join(TABLE_FORMATS)}")
    check_parent(path)
    if suffix == ".parquet":
        atomic_write(path, lambda handle: frame.write_parquet(handle))
    elif suffix == ".json":
        data = _jsonable(frame)
        atomic_write(path, lambda handle: handle.write(data))
    else:
        buffer = io.BytesIO()
        spreadsheet_safe(frame).write_csv(buffer)
        data = ("\ufeff".encode() if excel else b"") + buffer.getvalue()
        atomic_write(path, lambda handle: handle.write(data))
    return path


def write_tables(out: str | Path, table: pl.DataFrame, beside: dict[str, pl.DataFrame], *, excel: bool = False) -> list[Path]:
    """Write `table` to `out` and each of `beside` next to it as STEM-NAME.SUFFIX; returns the paths, in that order.

    Example: ``write_tables("kuliner.csv", result.table, {"agreement": result.agreement})`` writes
    kuliner.csv and kuliner-agreement.csv.
    """
    out = Path(out)
    return [write_table(table, out, excel=excel),
            *(write_table(frame, out.with_name(f"{out.stem}-{name}{out.suffix}"), excel=excel) for name, frame in beside.items())]
