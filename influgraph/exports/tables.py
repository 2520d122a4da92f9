"""Write analysis tables as CSV, Parquet or JSON, atomically, with spreadsheet-safe CSV cells.

A table and the tables that go with it (a ranking and its agreement, communities and their
profiles, a shortlist and its overlap) are written side by side (`write_tables`): the first to
`out`, each other one beside it as `STEM-NAME.SUFFIX` (kuliner.csv, kuliner-agreement.csv).

CSV cells that a spreadsheet would run as a formula get a leading apostrophe (`FORMULA_START`):
those starting with = + - @, their full-width forms (＝ ＋ － ＠) or small forms (﹦ ﹢ ﹣ ﹫),
after any leading whitespace, control or format characters (space, tab, CR, newline, NBSP,
ideographic space, zero-width space, BOM...), and those starting with a tab or CR; list columns are joined with "; " and structs written as JSON, so every
cell is plain text. Text is written as UTF-8, byte-exact (`excel=True` adds a BOM so Persian
and Indonesian display in spreadsheets).
"""
from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from ..atomic import atomic_write
from ..errors import BadInput
from .paths import check_file, guard_write

__all__ = ["write_table", "write_tables", "table_paths", "spreadsheet_safe", "TABLE_FORMATS", "FORMULA_START"]

TABLE_FORMATS = (".csv", ".parquet", ".json")
FORMULA_START = r"\A(?:[\s\p{Cc}\p{Cf}]*[=+\-@\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}\x{FE66}\x{FE62}\x{FE63}\x{FE6B}]|[\t\r])"


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
        columns.append(pl.when(column.str.contains(FORMULA_START)).then(pl.lit("'") + column).otherwise(column).alias(name))
    return frame.select(columns)


def _jsonable(frame: pl.DataFrame) -> bytes:
    from ..jsonout import dumps

    return dumps(frame.to_dicts(), indent=1).encode("utf-8")  # strict JSON: NaN and infinities as null


def _check_table_path(out: str | Path, workspace: str | Path | None) -> Path:
    """`out` as a Path, refused when `check_file` refuses it or its extension is not one of TABLE_FORMATS."""
    path = check_file(out, "a table", ", ".join(TABLE_FORMATS), workspace)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise BadInput(f"cannot write {path.suffix.lower() or 'a file without extension'}", path=path, param="out",
                       hint=f"name a file ending in {', '.join(TABLE_FORMATS)}")
    return path


def write_table(frame: pl.DataFrame, out: str | Path, *, excel: bool = False, workspace: str | Path | None = None) -> Path:
    """Write `frame` to `out` as CSV, Parquet or JSON (by extension), atomically; returns the path.

    `out` is checked first (`check_file`: never inside `workspace` or any workspace folder).
    Example: ``write_table(ranking.table, "kuliner.csv", excel=True)``.
    """
    path = _check_table_path(out, workspace)
    suffix = path.suffix.lower()
    with guard_write(path):
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


def table_paths(out: str | Path, beside: tuple[str, ...] | list[str], workspace: str | Path | None = None) -> list[Path]:
    """The paths `write_tables` would write for `out` and the `beside` names, each checked; nothing is written.

    Commands call it before any work so a refused `out` costs nothing and changes nothing.
    Example: ``table_paths("kuliner.csv", ["agreement"], "ws") == [Path("kuliner.csv"), Path("kuliner-agreement.csv")]``.
    """
    first = _check_table_path(out, workspace)
    return [first, *(_check_table_path(first.with_name(f"{first.stem}-{name}{first.suffix}"), workspace)
                     for name in beside)]


def write_tables(out: str | Path, table: pl.DataFrame, beside: dict[str, pl.DataFrame], *, excel: bool = False,
                 workspace: str | Path | None = None) -> list[Path]:
    """Write `table` to `out` and each of `beside` next to it as STEM-NAME.SUFFIX; returns the paths, in that order.

    Every path is checked before the first is written (`table_paths`).
    Example: ``write_tables("kuliner.csv", result.table, {"agreement": result.agreement})`` writes
    kuliner.csv and kuliner-agreement.csv.
    """
    paths = table_paths(out, list(beside), workspace)
    frames = [table, *beside.values()]
    return [write_table(frame, path, excel=excel, workspace=workspace) for frame, path in zip(frames, paths)]
