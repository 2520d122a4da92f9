"""Edge lists: CSV, TSV, Parquet (gzip or not) and SNAP-style whitespace lists, into the tables.

Rules (documented in the README; options are the fields of `ImportOptions`):

- **Columns** come from `source_col`, `target_col`, ... (a header name, or a 1-based
  position for headerless files; `hashtags_col="6+"` means column 6 and all after it). Without
  them common header names are recognised (source/src/from/id_1, target/dst/to/id_2, kind/type,
  weight/count, time/timestamp/created_at, text, hashtags, post_id/tweet_id). A position past
  every row is refused (a `6+` rest of a ragged row may be empty).
- **Kind** comes from the kind column (retweet/rt -> repost, replied_to -> reply, favorite ->
  like, ... are understood), else `kind`, else `follow`, with a note saying so.
- **`reverse`** swaps source and target, for data whose rows mean "B reposted A".
- **Ids** are at most 256 characters (`schema.MAX_ID_CHARS`). **Weights** must be finite, > 0
  and at most 1e15 (`schema.MAX_WEIGHT`), so every sum of weights stays finite. Rows repeating (source, target, kind, time, post) in one
  file are summed into one edge. Each file's rows carry `origin` = `dataset` (default: the
  file name), so different files never overwrite each other's weights and re-importing a file
  changes nothing.
- **Text and hashtags** on a row describe the post the interaction is about. That post is
  authored by the source for reply, quote and mention rows (they wrote it), by the target for
  repost and like rows (the amplified content); follow rows carry no post. Its id is the post
  column's value, else `row:` + a hash of the row, so re-import is idempotent. Hashtags come from
  the hashtags column (split on spaces and commas, a leading '#' dropped), else from `#word`
  tokens of the text ("# 1" is not a hashtag, nor is an all-digit "#2024"). Text is kept byte-exact.
- Every endpoint gets an account row (id and platform), so edge-only accounts exist.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl

from ..errors import BadInput
from ..niches import hashtags_expr
from ..schema import EDGE_KINDS, MAX_ID_CHARS, MAX_WEIGHT, Batch, repeated_keys
from .base import BadRows, ImportOptions, ReadResult, iter_text_blocks, read_input_bytes

EDGE_ROW_KEY = ("src", "dst", "kind", "at", "post_id")  # one edge per file row key; repeats are summed
BLOCK_BYTES = 1 << 26  # text parsed at a time: large files stream in blocks of whole lines

__all__ = ["read_csv", "read_tsv", "read_parquet", "read_snap", "KIND_SYNONYMS"]

KIND_SYNONYMS = {
    "retweet": "repost", "retweets": "repost", "retweeted": "repost", "rt": "repost", "share": "repost",
    "shares": "repost", "reposts": "repost", "reblog": "repost", "boost": "repost",
    "quoted": "quote", "quotes": "quote", "replied_to": "reply", "replies": "reply", "replied": "reply",
    "mentions": "mention", "mentioned": "mention", "favorite": "like", "favourite": "like",
    "favorites": "like", "likes": "like", "liked": "like", "follows": "follow", "following": "follow",
    "follower": "follow", "followers": "follow", "followed": "follow",
}
_ROLES = {
    "source": ("source", "src", "from", "id_1", "source_id", "from_id", "user", "actor"),
    "target": ("target", "dst", "to", "id_2", "target_id", "to_id"),
    "kind": ("kind", "type", "interaction", "edge_type", "relation"),
    "weight": ("weight", "count", "n", "value"),
    "time": ("time", "timestamp", "at", "created_at", "date", "datetime"),
    "text": ("text", "content", "body"),
    "hashtags": ("hashtags", "tags"),
    "post": ("post_id", "tweet_id", "post", "status_id"),
}
_MAX_LINE = 1 << 20
_FLOATLIKE = r"^[+-]?(\d+\.\d*|\d*\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$"


# ------------------------------------------------------------------ loading
def _lines(text: str, path: Path) -> pl.DataFrame:
    """Non-blank, non-comment lines with their 1-based line numbers."""
    frame = pl.DataFrame({"_raw": text.split("\n")}).with_row_index("_line", offset=1)
    frame = frame.with_columns(pl.col("_raw").str.strip_suffix("\r"))
    long = frame.filter(pl.col("_raw").str.len_bytes() > _MAX_LINE)
    if long.height:
        raise BadInput("line longer than 1 MiB", path=path, line=int(long["_line"][0]),
                       hint="this is not an edge list; check the file or its `format`", param="format")
    stripped = pl.col("_raw").str.strip_chars()
    return frame.filter((stripped != "") & ~stripped.str.starts_with("#") & ~stripped.str.starts_with("%"))


def _load_split(text: str, path: Path, separator: str | None, header: bool) -> tuple[pl.DataFrame, list[str] | None]:
    """Split unquoted lines into a list column `_fields` (ragged rows allowed)."""
    frame = _lines(text, path)
    if separator is None:
        fields = pl.col("_raw").str.strip_chars().str.replace_all(r"\s+", " ").str.split(" ")
    else:
        fields = pl.col("_raw").str.split(separator)
    frame = frame.with_columns(fields.alias("_fields")).drop("_raw")
    if not header:
        return frame, None
    if frame.height == 0:
        raise BadInput("file has no rows", path=path, hint="nothing to import")
    names = [n.strip() for n in frame["_fields"][0].to_list()]
    return frame.slice(1), names


def _load_csv(text: str, path: Path, separator: str) -> tuple[pl.DataFrame, list[str]]:
    """Parse quoted CSV with a header; every value stays a string."""
    try:
        frame = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False, quote_char='"',
                            has_header=True, comment_prefix=None, raise_if_empty=True)
    except pl.exceptions.NoDataError:
        raise BadInput("file is empty", path=path) from None
    except pl.exceptions.PolarsError as exc:  # parse errors: ragged rows, unbalanced quotes
        line = _odd_quote_line(text)
        reason = "unbalanced quotes" if line else f"cannot parse as CSV ({str(exc).splitlines()[0][:120]})"
        raise BadInput(reason, path=path, line=line,
                       hint="check quoting and the number of fields per row, or set `delimiter`", param="delimiter") from None
    duplicates = sorted({c for c in frame.columns if c.endswith("_duplicated_0")})
    if duplicates:
        raise BadInput(f"duplicate column name {duplicates[0].removesuffix('_duplicated_0')!r}", path=path, line=1,
                       hint="give every column a distinct name")
    names = list(frame.columns)
    frame = frame.with_row_index("_line", offset=2).rename({c: f"_f{i}" for i, c in enumerate(names)})
    return frame, names


def _odd_quote_line(text: str) -> int | None:
    inside = False
    start = None
    for number, line in enumerate(text.split("\n"), start=1):
        if line.count('"') % 2:
            inside = not inside
            start = number if inside else None
    return start if inside else None


# ------------------------------------------------------------------ columns
def _position(spec: str) -> tuple[int, bool] | None:
    match = re.fullmatch(r"(\d+)(\+?)", spec.strip())
    if not match or int(match.group(1)) < 1:
        return None
    return int(match.group(1)) - 1, bool(match.group(2))


def _column(spec: str | None, role: str, names: list[str] | None, path: Path) -> tuple[int, bool] | None:
    """Resolve the column option of `role` (`source_col`, ...: a name or 1-based position) to (index, rest-of-row)."""
    option = f"{role}_col"
    if spec is not None:
        position = _position(spec)
        if position is not None and (names is None or spec not in names):
            return position
        if names is None:
            raise BadInput(f"`{option}` {spec!r}: this file has no header, so name columns by position (1, 2, ...)", path=path,
                           param=option)
        rest = spec.endswith("+") and spec[:-1] in names
        name = spec[:-1] if rest else spec
        if name not in names:
            raise BadInput(f"`{option}` {spec!r} is not a column", path=path, line=1,
                           hint=f"columns are: {', '.join(names)[:200]}", param=option)
        return names.index(name), rest
    if names is None:
        return None
    lowered = [n.lower().lstrip("\ufeff") for n in names]
    for candidate in _ROLES[role]:
        if candidate in lowered:
            return lowered.index(candidate), False
    return None


def _field(index: tuple[int, bool], width: int | None) -> pl.Expr:
    """A field by position: from the list column `_fields` (ragged rows), or from the columns
    `_f0`, `_f1`, ... of a rectangular table (`width` columns; no list column to build)."""
    position, rest = index
    if width is not None:
        if position >= width:
            return pl.lit(None, dtype=pl.String)
        if rest:
            return pl.concat_str([pl.col(f"_f{i}").str.strip_chars() for i in range(position, width)], separator=" ",
                                 ignore_nulls=True)
        return pl.col(f"_f{position}")
    if rest:
        return pl.col("_fields").list.slice(position).list.eval(pl.element().str.strip_chars()).list.join(" ")
    return pl.col("_fields").list.get(position, null_on_oob=True)


# ------------------------------------------------------------------ validation
def _bad_id(column: str) -> pl.Expr:
    value = pl.col(column)
    return (
        pl.when(value.is_null()).then(pl.lit(f"missing {column} id"))
        .when(value.str.strip_chars() == "").then(pl.lit(f"empty {column} id"))
        .when(value.str.len_chars() > MAX_ID_CHARS)
        .then(pl.format("{} id of {} characters is longer than {}", pl.lit(column), value.str.len_chars(), pl.lit(MAX_ID_CHARS)))
        .when(value.str.strip_chars() != value).then(pl.format("{} id '{}' has leading or trailing spaces", pl.lit(column), value.str.slice(0, 40)))
        .when(value.str.contains(_FLOATLIKE)).then(pl.format("{} id '{}' looks like a float (digits may be lost; keep ids as text)", pl.lit(column), value.str.slice(0, 40)))
        .otherwise(None)
    )


def _parse_time(raw: pl.Expr) -> pl.Expr:
    numeric = raw.str.strip_chars().cast(pl.Float64, strict=False)
    from_unix = (numeric * 1_000_000).cast(pl.Int64, strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    iso = raw.str.strip_chars().str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    return pl.when(raw.is_null() | (raw.str.strip_chars() == "")).then(None).otherwise(pl.coalesce(from_unix, iso))


def _validated(frame: pl.DataFrame, bad: BadRows) -> pl.DataFrame:
    """Attach a reason to every bad row; report them; return the good rows."""
    kinds = list(EDGE_KINDS)
    weight_raw = pl.col("weight_raw")
    reasons = pl.coalesce(
        _bad_id("source"),
        _bad_id("target"),
        pl.when(pl.col("kind").is_null() | ~pl.col("kind").is_in(kinds))
        .then(pl.format("unknown edge kind '{}' (use {})", pl.col("kind_raw").fill_null("").str.slice(0, 40), pl.lit(", ".join(kinds)))),
        pl.when(weight_raw.is_not_null() & pl.col("weight").is_null())
        .then(pl.format("weight '{}' is not a number", weight_raw.str.slice(0, 40))),
        pl.when(pl.col("weight").is_nan() | pl.col("weight").is_infinite())
        .then(pl.format("weight '{}' is not finite", weight_raw.str.slice(0, 40))),
        pl.when(pl.col("weight") <= 0).then(pl.format("weight '{}' must be greater than 0", weight_raw.str.slice(0, 40))),
        pl.when(pl.col("weight") > MAX_WEIGHT)
        .then(pl.format("weight '{}' is above the largest allowed, {}", weight_raw.str.slice(0, 40), pl.lit(f"{MAX_WEIGHT:g}"))),
        pl.when(pl.col("post_id").str.len_chars() > MAX_ID_CHARS)
        .then(pl.format("post id of {} characters is longer than {}", pl.col("post_id").str.len_chars(), pl.lit(MAX_ID_CHARS))),
        pl.when(pl.col("time_raw").is_not_null() & (pl.col("time_raw").str.strip_chars() != "") & pl.col("at").is_null())
        .then(pl.format("time '{}' is neither a unix time nor ISO-8601", pl.col("time_raw").str.slice(0, 40))),
    )
    checked = frame.with_columns(reasons.alias("_reason"))
    failing = checked.filter(pl.col("_reason").is_not_null())
    if failing.height:
        first = failing.sort("_line").row(0, named=True)
        bad.bulk(failing.height, int(first["_line"]), first["_reason"])
    return checked.filter(pl.col("_reason").is_null()).drop("_reason")


# ------------------------------------------------------------------ assembly
def _edges(frame: pl.DataFrame, names: list[str] | None, options: ImportOptions, path: Path, fmt: str,
           bad: BadRows | None = None, default_platform: str = "generic") -> ReadResult:
    """Edges, accounts and posts from parsed rows; `bad` (shared by a file's blocks) collects the bad
    rows, and when this call made it, its summary note is added here.

    The steps: find the column of each role, drop rows too short for source and target, choose the
    default kind, type and check every row, then build the posts, sum repeated edges into one and
    give every endpoint an account row.
    """
    own = bad is None
    bad = bad or BadRows(path, options.skip_bad_rows)
    notes: list[str] = []
    if frame.height == 0:
        raise BadInput("file has a header but no rows" if names else "file has no rows", path=path, hint="nothing to import")
    columns = _role_columns(names, options, path, fmt)
    frame, columns_wide = _complete_rows(frame, columns, path, bad)
    default_kind = _default_kind(options, columns, path, notes)
    table = _validated(_typed_rows(frame, columns, columns_wide, default_kind), bad)
    if options.reverse:
        table = table.rename({"source": "target", "target": "source"})
    table = table.with_columns(pl.col("weight").fill_null(1.0))
    platform = options.platform or default_platform
    dataset = options.dataset or path.name
    posts = _posts(table, platform, dataset, notes, path)
    edges = _summed_edges(table, posts, platform, dataset)
    if edges.height and edges.filter(pl.col("src") != pl.col("dst")).height == 0:
        notes.append(f"{path}: every edge is a self-loop; the graph will have no edges from this file")
    endpoints = pl.concat([edges.select(pl.col("src").alias("id")), edges.select(pl.col("dst").alias("id"))]).unique(maintain_order=True)
    accounts = endpoints.with_columns(platform=pl.lit(platform))
    skipped = bad.note() if own else None
    return ReadResult(
        batch=Batch(accounts=accounts, posts=posts.drop("_line") if posts is not None else None, edges=edges)
        if posts is not None else Batch(accounts=accounts, edges=edges),
        format=fmt, rows_read=frame.height, skipped=bad.count, notes=notes + ([skipped] if skipped else []),
    )


def _role_columns(names: list[str] | None, options: ImportOptions, path: Path, fmt: str) -> dict[str, tuple[int, bool] | None]:
    """The column of each role (source, target, kind, ...) from the column options or the header;
    headerless files have source and target in columns 1 and 2 unless told otherwise."""
    columns = {
        role: _column(getattr(options, f"{role}_col"), role, names, path)
        for role in ("source", "target", "kind", "weight", "time", "text", "hashtags", "post")
    }
    if names is None:  # headerless: source, target[, weight] by position unless told otherwise
        columns["source"] = columns["source"] or (0, False)
        columns["target"] = columns["target"] or (1, False)
    if names is not None and len(names) == 1 and fmt in ("csv", "tsv"):
        raise BadInput(f"only one column found ({names[0][:60]!r})", path=path, line=1,
                       hint="is the delimiter different? set `delimiter` (e.g. ';') or the right `format`", param="delimiter")
    for role in ("source", "target"):
        if columns[role] is None:
            found = ", ".join(names or [])[:200]
            raise BadInput(f"no {role} column", path=path, line=1,
                           hint=f"columns are: {found}; name it with `{role}_col`", param=f"{role}_col")
    roles_of: dict[int, list[str]] = {}
    for role, column in columns.items():
        if column is not None:
            roles_of.setdefault(column[0], []).append(role)
    shared = next((roles for roles in roles_of.values() if len(roles) > 1), None)
    if shared:
        raise BadInput("two roles name the same column", path=path,
                       hint=f"check `{shared[0]}_col` and `{shared[1]}_col`", param=f"{shared[1]}_col")
    return columns


def _complete_rows(frame: pl.DataFrame, columns: dict, path: Path, bad: BadRows) -> tuple[pl.DataFrame, int | None]:
    """The rows that have a source and a target field (the others are bad rows), and the number of
    columns of a rectangular table (None for ragged rows in a list column)."""
    rectangular = "_fields" not in frame.columns
    columns_wide = sum(1 for c in frame.columns if c.startswith("_f")) if rectangular else None
    width = columns_wide if rectangular else frame.select(pl.col("_fields").list.len().min()).item()
    needed = max(c[0] for c in (columns["source"], columns["target"]))
    if rectangular and width <= needed:
        raise BadInput(f"rows have {width} field(s); source and target are needed", path=path, line=2,
                       hint="check `source_col` and `target_col`", param="source_col")
    if width is not None and width <= needed:
        short = frame.filter(pl.col("_fields").list.len() <= needed).row(0, named=True)
        bad.bulk(frame.filter(pl.col("_fields").list.len() <= needed).height, int(short["_line"]),
                 f"row has {len(short['_fields'])} field(s); source and target are needed")
        frame = frame.filter(pl.col("_fields").list.len() > needed)
    _check_beyond(frame, columns, columns_wide, path)
    return frame, columns_wide


def _check_beyond(frame: pl.DataFrame, columns: dict, columns_wide: int | None, path: Path) -> None:
    """Refuse a column position past every row (a `6+` rest of the row may be empty on every row)."""
    widest = columns_wide if columns_wide is not None else frame.select(pl.col("_fields").list.len().max()).item()
    for role, index in columns.items():
        if index is not None and index[0] >= (widest or 0) and not (index[1] and columns_wide is None):
            raise BadInput(f"`{role}_col` is column {index[0] + 1}, but the rows have {widest or 0} field(s)", path=path,
                           hint="count the columns again (the first is 1)", param=f"{role}_col")


def _default_kind(options: ImportOptions, columns: dict, path: Path, notes: list[str]) -> str:
    """The kind of rows without a kind column: `options.kind` (synonyms understood), else follow with a note."""
    default_kind = options.kind
    if default_kind is not None and KIND_SYNONYMS.get(default_kind.lower(), default_kind.lower()) not in EDGE_KINDS:
        raise BadInput(f"`kind` {default_kind!r} is not an edge kind", hint=f"use one of {', '.join(EDGE_KINDS)}", param="kind")
    if columns["kind"] is None and default_kind is None:
        notes.append(f"{path}: no kind column; stored as kind=follow (set `kind` to choose)")
    return KIND_SYNONYMS.get((default_kind or "follow").lower(), (default_kind or "follow").lower())


def _typed_rows(frame: pl.DataFrame, columns: dict, columns_wide: int | None, default_kind: str) -> pl.DataFrame:
    """One row per file row with each role's raw text, the normalised kind, the weight as a number and the time."""

    def raw(role: str) -> pl.Expr:
        return _field(columns[role], columns_wide) if columns[role] is not None else pl.lit(None, dtype=pl.String)

    kind_raw = raw("kind") if columns["kind"] is not None else pl.lit(default_kind)
    normal_kind = kind_raw.str.strip_chars().str.to_lowercase()
    return frame.select(
        "_line",
        raw("source").alias("source"),
        raw("target").alias("target"),
        kind_raw.alias("kind_raw"),
        normal_kind.replace(KIND_SYNONYMS).alias("kind"),
        raw("weight").alias("weight_raw"),
        raw("time").alias("time_raw"),
        raw("text").alias("text"),
        raw("hashtags").alias("hashtags_raw"),
        raw("post").alias("post_id"),
    ).with_columns(
        pl.col("weight_raw").str.strip_chars().cast(pl.Float64, strict=False).alias("weight"),
        _parse_time(pl.col("time_raw")).alias("at"),
    )


def _summed_edges(table: pl.DataFrame, posts: pl.DataFrame | None, platform: str, dataset: str) -> pl.DataFrame:
    """The edges table: each row's post id (given, else the post its text is about), and rows repeating
    EDGE_ROW_KEY summed into one edge."""
    if posts is not None:
        table = table.join(posts.select("_line", pl.col("id").alias("_post")), on="_line", how="left",
                           maintain_order="left").with_columns(pl.coalesce("post_id", "_post").alias("post_id"))
    key = ["source", "target", "kind", "at", "post_id"]  # = EDGE_ROW_KEY
    table = table.select(*key, "weight")
    repeated = repeated_keys(table, key)  # usually few: group only those, not every row
    if repeated.any():
        summed = table.filter(repeated).group_by(key, maintain_order=True).agg(pl.col("weight").sum())
        table = pl.concat([table.filter(~repeated), summed.select(table.columns)])
    return table.select(pl.col("source").alias("src"), pl.col("target").alias("dst"), "kind", "weight", "post_id", "at",
                        pl.lit(platform).alias("platform"), pl.lit(dataset).alias("origin"))


def _posts(table: pl.DataFrame, platform: str, dataset: str, notes: list[str], path: Path) -> pl.DataFrame | None:
    """The posts that rows with text or hashtags are about (see the module docstring)."""
    carries = table.filter(pl.col("text").is_not_null() | (pl.col("hashtags_raw").fill_null("").str.strip_chars() != ""))
    if carries.height == 0:
        return None
    follows = carries.filter(pl.col("kind") == "follow").height
    if follows:
        notes.append(f"{path}: text or hashtags on {follows} follow row(s) ignored (a follow is not about a post)")
    carries = carries.filter(pl.col("kind") != "follow")
    from_column = (pl.col("hashtags_raw").str.replace_all(r"[,\s]+", " ").str.strip_chars().str.split(" ")
                   .list.eval(pl.element().str.strip_chars_start("#")).list.filter(pl.element() != ""))
    from_text = hashtags_expr("text")
    row_key = pl.concat_str([pl.lit(dataset), "source", "target", "kind", pl.col("time_raw").fill_null(""),
                             pl.col("text").fill_null(""), pl.col("hashtags_raw").fill_null("")], separator="\x1f")
    return carries.select(
        "_line",
        pl.coalesce("post_id", pl.lit("row:") + row_key.hash(seed=20240501).cast(pl.String)).alias("id"),
        pl.lit(platform).alias("platform"),
        pl.when(pl.col("kind").is_in(["repost", "like"])).then("target").otherwise("source").alias("author_id"),
        pl.col("at").alias("created_at"),
        "text",
        pl.when(pl.col("hashtags_raw").is_not_null()).then(from_column).otherwise(from_text).alias("hashtags"),
    ).unique(subset=["id"], keep="first", maintain_order=True)


# ------------------------------------------------------------------ readers
def _wants_positions(options: ImportOptions) -> bool:
    specs = [options.source_col, options.target_col, options.kind_col, options.weight_col, options.time_col,
             options.text_col, options.hashtags_col, options.post_col]
    return any(s is not None and _position(s) is not None for s in specs)


def _read_delimited(path: Path, options: ImportOptions, separator: str, fmt: str, quoted: bool) -> ReadResult:
    separator = options.delimiter.encode().decode("unicode_escape") if options.delimiter else separator
    if len(separator) != 1:
        raise BadInput(f"`delimiter` must be one character, got {options.delimiter!r}", param="delimiter")
    header = not _wants_positions(options)

    def parse(text: str) -> tuple[pl.DataFrame, list[str] | None]:
        return _load_csv(text, path, separator) if header and quoted else _load_split(text, path, separator, header)

    return _streamed(path, options, fmt, parse, quoted=quoted, header=header)


def _streamed(path: Path, options: ImportOptions, fmt: str, parse, *, quoted: bool, header: bool,
              no_rows: str | None = None) -> ReadResult:
    """Stream the file in blocks of whole lines (gzip too): each block is parsed by `parse` and checked
    like a whole file, with file line numbers, and the blocks' tables are merged at the end.
    `no_rows` is the error when no block has a row (else the one-block checks of `_edges` say it)."""
    bad = BadRows(path, options.skip_bad_rows)
    parts: list[ReadResult] = []
    header_line, names = "", None
    for text, first_line in iter_text_blocks(path, quoted=quoted, block=BLOCK_BYTES):
        if first_line == 1:
            if text.lstrip()[:1] in ("{", "["):
                raise BadInput(f"content looks like JSON, not {fmt.upper()}", path=path,
                               hint="set `format` to x-json, or leave `format` unset to detect it", param="format")
            offset = 0
        else:  # a later block: the header goes in front again, and line numbers continue
            text = header_line + text
            offset = first_line - (2 if header else 1)
        try:
            frame, names = parse(text)
        except BadInput as exc:
            if exc.line is not None and offset:
                raise BadInput(exc.message, path=path, line=exc.line + offset, hint=exc.hint, param=exc.param) from None
            raise
        if first_line == 1:
            header_line = text[: text.find("\n") + 1] if header else ""
            if names is not None and len(set(names)) < len(names):
                duplicate = next(n for n in names if names.count(n) > 1)
                raise BadInput(f"duplicate column name {duplicate!r}", path=path, line=1, hint="give every column a distinct name")
            empty = frame
        if frame.height:
            parts.append(_edges(frame.with_columns(pl.col("_line") + offset), names, options, path, fmt, bad))
    if not parts:  # no rows in any block
        if no_rows:
            raise BadInput(no_rows, path=path, hint="nothing to import")
        parts.append(_edges(empty, names, options, path, fmt, bad))
    return _merged(parts, bad)


def _merged(parts: list[ReadResult], bad: BadRows) -> ReadResult:
    """One result from the blocks of a file: repeated edges summed as within a block, accounts and
    posts once each (first seen wins), notes once each."""
    if len(parts) == 1:
        only = parts[0]
        skipped = bad.note()
        only.notes.extend([skipped] if skipped else [])
        return only
    edges = pl.concat([p.batch.edges for p in parts], how="diagonal_relaxed")
    repeated = repeated_keys(edges, EDGE_ROW_KEY)  # usually few: group only those, not all 10M rows
    if repeated.any():
        summed = (edges.filter(repeated).group_by(*EDGE_ROW_KEY, maintain_order=True)
                  .agg(pl.col("weight").sum(), pl.col("platform").first(), pl.col("origin").first(),
                       pl.col("observed_at").first()))
        edges = pl.concat([edges.filter(~repeated), summed.select(edges.columns)])
    accounts = pl.concat([p.batch.accounts for p in parts], how="diagonal_relaxed").unique("id", maintain_order=True)
    posts = [p.batch.posts for p in parts if p.batch.posts is not None and p.batch.posts.height]
    batch = Batch(accounts=accounts, edges=edges,
                  **({"posts": pl.concat(posts, how="diagonal_relaxed").unique("id", keep="first", maintain_order=True)}
                     if posts else {}))
    notes = list(dict.fromkeys(note for p in parts for note in p.notes))
    skipped = bad.note()
    return ReadResult(batch=batch, format=parts[0].format, rows_read=sum(p.rows_read for p in parts), skipped=bad.count,
                      notes=notes + ([skipped] if skipped else []))


def read_csv(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A comma-separated edge list with a header row (or positions given by the column options)."""
    return _read_delimited(Path(path), options, ",", "csv", quoted=True)


def read_tsv(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A tab-separated edge list; headerless files name their columns by position."""
    return _read_delimited(Path(path), options, "\t", "tsv", quoted=False)


def read_snap(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A SNAP-style list: `source target [weight]` separated by whitespace, `#`/`%` comments.

    A third field written by networkx as `{'weight': 0.5}` is read as the weight.
    """
    path = Path(path)
    explicit_weight = options.weight_col
    if options.weight_col is None:
        options = _with(options, weight_col="3")

    def parse(text: str) -> tuple[pl.DataFrame, None]:
        frame, _ = _load_split(text, path, None, header=False)
        if frame.height == 0:
            return frame, None
        rest = pl.col("_fields").list.slice(2).list.join(" ")
        weight = pl.coalesce(rest.str.extract(r"^\{.*'weight':\s*([^,}\s]+)", 1), pl.col("_fields").list.get(2, null_on_oob=True))
        too_many = frame.filter((pl.col("_fields").list.len() > 3) & ~rest.str.starts_with("{"))
        if too_many.height and explicit_weight is None:
            raise BadInput(f"line has {len(too_many['_fields'][0])} fields; a SNAP list has source, target and an optional weight",
                           path=path, line=int(too_many["_line"][0]),
                           hint="set `format` to tsv and name the columns with `source_col` and `target_col`", param="format")
        return frame.with_columns(pl.concat_list(pl.col("_fields").list.get(0), pl.col("_fields").list.get(1, null_on_oob=True),
                                                 weight).alias("_fields")), None

    return _streamed(path, options, "snap", parse, quoted=False, header=False,
                     no_rows="file has no edges (only comments or blank lines)")


def read_parquet(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A Parquet edge list; columns are named as in CSV, ids are read as text."""
    path = Path(path)
    raw = read_input_bytes(path)
    try:
        table = pl.read_parquet(io.BytesIO(raw))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise BadInput(f"not a readable Parquet file ({str(exc).splitlines()[0][:100]})", path=path,
                       hint="re-export the file") from None
    names = list(table.columns)
    if len(set(names)) < len(names):
        raise BadInput("duplicate column names", path=path)
    floats = [c for c, t in table.schema.items() if t.is_float()]
    as_text = table.with_columns([pl.col(c).cast(pl.String) for c in names if c not in floats]
                                 + [pl.col(c).cast(pl.String) for c in floats])
    frame = as_text.with_row_index("_line", offset=1).rename({c: f"_f{i}" for i, c in enumerate(names)})
    return _edges(frame, names, options, path, "parquet")


def _with(options: ImportOptions, **changes) -> ImportOptions:
    from dataclasses import replace

    return replace(options, **changes)
