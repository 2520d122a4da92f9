"""What every file reader shares: import options, the read result, and strict bad-row handling.

Bad rows are never dropped silently: a reader reports each one to `BadRows`, which raises a
one-line `BadInput` naming file:line and the reason at the first one, unless the options set
`skip_bad_rows`, in which case they are counted and reported.

Invalid Unicode in JSON input, a lone UTF-16 surrogate escape such as `"\ud800"` (which no
UTF-8 file or Parquet table can hold), is replaced by U+FFFD and counted in a note
(`LoneSurrogates`); valid pairs (`"\ud83d\ude00"`) are one character and stay as they are.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import BadInput
import polars as pl
import orjson

from ..schema import Batch, conform, empty

__all__ = ["ImportOptions", "ReadResult", "BadRows", "retrieved_at", "newest_retrieval", "read_input_bytes", "iter_input_bytes", "iter_text_blocks", "decode_utf8",
           "LoneSurrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class LoneSurrogates:
    """Replaces lone surrogates in parsed JSON values by U+FFFD and counts them, for one file.

    Example: ``fix = LoneSurrogates(); fix.clean(json.loads(line), line); fix.note(path)``.
    """

    def __init__(self) -> None:
        self.count = 0

    def clean(self, value, raw: str | None = None):
        """`value` with every lone surrogate replaced; `raw` (the JSON text) lets a clean text skip the walk."""
        if raw is not None and not _SURROGATE_ESCAPE.search(raw):
            return value
        return self._walk(value)

    def clean_decoded(self, value):
        """`value` (decoded JSON) with every lone surrogate replaced; the walk runs only when orjson, which refuses
        to write a lone surrogate, cannot write `value`."""
        try:
            orjson.dumps(value)
        except TypeError:
            return self._walk(value)
        return value

    def _walk(self, value):
        if isinstance(value, str):
            fixed, replaced = _SURROGATE.subn("\ufffd", value)
            self.count += replaced
            return fixed
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        if isinstance(value, dict):
            return {self._walk(key): self._walk(item) for key, item in value.items()}
        return value

    def note(self, path: Path | str) -> str | None:
        """A one-line note of the replacements, or None when there were none."""
        if not self.count:
            return None
        return (f"{path}: replaced {self.count:,} lone surrogate escape(s) (e.g. \\ud800, invalid Unicode) "
                "by U+FFFD")


@dataclass(frozen=True)
class ImportOptions:
    """How to read input files. Column options name columns of tabular files (CSV/TSV/Parquet)."""

    format: str | None = None  # None: detect from content
    platform: str | None = None  # None: the format's default ("x" for X JSON, "generic" for edge lists)
    kind: str | None = None  # edge kind for files without a kind column (default "follow")
    reverse: bool = False  # rows mean "dst acted toward src" (e.g. "A -> B: B reposted A")
    source_col: str | None = None
    target_col: str | None = None
    kind_col: str | None = None
    weight_col: str | None = None
    time_col: str | None = None
    text_col: str | None = None
    hashtags_col: str | None = None
    post_col: str | None = None
    delimiter: str | None = None  # None: from the format ("," csv, "\t" tsv, whitespace snap)
    dataset: str | None = None  # origin label of aggregated edge-list rows (default: file name)
    skip_bad_rows: bool = False


@dataclass
class ReadResult:
    """What a reader produced from one file."""

    batch: Batch
    format: str
    rows_read: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


class BadRows:
    """Collects bad rows of one file: raises at the first one unless skipping was asked for."""

    def __init__(self, path: Path | str, skip: bool):
        self.path = str(path)
        self.skip = skip
        self.count = 0
        self.first: tuple[int | None, str] | None = None

    def bad(self, line: int | None, reason: str, hint: str | None = None) -> None:
        """Report one bad row (1-based `line` in the file, or None when unknown)."""
        if not self.skip:
            raise BadInput(reason, path=self.path, line=line,
                           hint=hint or "fix the row, or skip and count bad rows with `skip_bad_rows`", param="skip_bad_rows")
        self.count += 1
        if self.first is None:
            self.first = (line, reason)

    def bulk(self, count: int, first_line: int | None, first_reason: str, hint: str | None = None) -> None:
        """Report `count` bad rows found by a vectorised check, the first of them at `first_line`."""
        if count <= 0:
            return
        self.bad(first_line, first_reason, hint)
        self.count += count - 1

    def note(self) -> str | None:
        """A one-line summary of what was skipped, or None when nothing was."""
        if not self.count:
            return None
        line, reason = self.first  # type: ignore[misc]
        where = f"{self.path}:{line}" if line is not None else self.path
        return f"skipped {self.count} bad row(s) in {self.path}; first at {where}: {reason}"


GZIP_MAGIC = b"\x1f\x8b"
MAX_INPUT_BYTES = 8 * 1024**3  # decompressed size refused beyond this
MAX_GZIP_RATIO = 1000  # decompressed/compressed beyond this (and past 64 MiB) is a bomb, not data


def read_input_bytes(path: Path | str) -> bytes:
    """The bytes of an input file, gunzipped when it is gzip (by content, not by name).

    Refuses gzip bombs (ratio above 1000:1 past 64 MiB) and inputs over 8 GiB decompressed
    with a one-line error instead of exhausting memory.
    """
    return b"".join(iter_input_bytes(path))


def iter_input_bytes(path: Path | str, piece: int = 1 << 24) -> Iterator[bytes]:
    """The bytes of an input file in pieces of about `piece` bytes, gunzipped on the fly when it is
    gzip, so large files stream; the same refusals as `read_input_bytes`."""
    import zlib

    path = Path(path)
    try:
        handle = path.open("rb")
    except IsADirectoryError:
        raise BadInput("is a folder, not a file", path=path, hint="name the files inside it") from None
    except FileNotFoundError:
        raise BadInput("no such file", path=path) from None
    except PermissionError:
        raise BadInput("permission denied", path=path) from None
    with handle:
        first = handle.read(piece)
        if not first.startswith(GZIP_MAGIC):
            while first:
                yield first
                first = handle.read(piece)
            return
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        buffer, produced, consumed = first, 0, 0
        try:
            while True:
                if decompressor.unconsumed_tail:
                    chunk = decompressor.unconsumed_tail
                else:
                    chunk, buffer = buffer[: 1 << 20], buffer[1 << 20:]
                    if not buffer:
                        buffer = handle.read(piece)
                    consumed += len(chunk)
                    if not chunk:
                        break
                out = decompressor.decompress(chunk, piece)
                produced += len(out)
                _check_growth(path, produced, consumed)
                if out:
                    yield out
                if decompressor.eof:
                    rest = decompressor.unused_data + buffer
                    if not rest.startswith(GZIP_MAGIC):
                        rest += handle.read(len(GZIP_MAGIC)) if len(rest) < len(GZIP_MAGIC) else b""
                        if not rest.startswith(GZIP_MAGIC):
                            return  # trailing bytes after the last member are ignored, as gzip(1) does
                    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a concatenated member follows
                    buffer = rest
        except zlib.error as exc:
            raise BadInput(f"gzip data is corrupt ({exc})", path=path, hint="re-download or re-compress the file") from None
        if not decompressor.eof:
            raise BadInput("gzip data is truncated", path=path, hint="the file was cut short; re-download it") from None


def iter_text_blocks(path: Path | str, *, quoted: bool = False, block: int = 1 << 26) -> Iterator[tuple[str, int]]:
    """The UTF-8 text of an input file in blocks of whole lines (about `block` bytes each), with the
    1-based file line each block starts at. With `quoted`, a block never ends inside a quoted field
    (an even number of double quotes before each cut), so CSV rows spanning lines stay whole."""
    pending, line, first = b"", 1, True
    for piece in iter_input_bytes(path, min(block, 1 << 24)):
        pending += piece
        if len(pending) < block:
            continue
        cut = pending.rfind(b"\n") + 1
        while cut and quoted and pending.count(b'"', 0, cut) % 2:
            cut = pending.rfind(b"\n", 0, cut - 1) + 1
        if not cut:
            continue  # no line ends yet (or all inside quotes): read more
        yield decode_utf8(pending[:cut], path, first_line=line, first=first), line
        line += pending.count(b"\n", 0, cut)
        pending, first = pending[cut:], False
    if pending.strip() or first:
        yield decode_utf8(pending, path, first_line=line, first=first), line


def _check_growth(path: Path, size: int, compressed: int) -> None:
    if size > MAX_INPUT_BYTES:
        raise BadInput(f"decompresses to more than {MAX_INPUT_BYTES >> 30} GiB", path=path,
                       hint="split the file into smaller parts")
    if size > 64 * 1024**2 and size > MAX_GZIP_RATIO * max(compressed, 1):
        raise BadInput(f"gzip expands more than {MAX_GZIP_RATIO}:1 (a decompression bomb?)", path=path,
                       hint="decompress it yourself if it is genuine")


def decode_utf8(raw: bytes, path: Path | str, *, first_line: int = 1, first: bool = True) -> str:
    """Decode input bytes as UTF-8 (a UTF-8 BOM is dropped), refusing what is not UTF-8 text.

    Empty files, UTF-16/UTF-32, NUL bytes and invalid UTF-8 get a one-line `BadInput` naming
    the line and the fix. For a later block of a file (`first=False`) line numbers start at
    `first_line` and only the file's start is checked for emptiness and byte-order marks.
    """
    import codecs

    offset = first_line - 1
    if not first:
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise BadInput("NUL byte in text", path=path, line=offset + raw.count(b"\n", 0, nul) + 1,
                           hint="the file is corrupt or binary; re-export it as UTF-8 text")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"invalid UTF-8 at byte {exc.start} of the block at line {first_line}", path=path,
                           line=offset + raw.count(b"\n", 0, exc.start) + 1, hint="re-export the file as UTF-8") from None
    if not raw.strip():
        raise BadInput("file is empty", path=path, hint="nothing to import; check the file")
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            raise BadInput(f"file is {name}", path=path, hint=f"convert it to UTF-8 (iconv -f {name} -t UTF-8)")
    head = raw[:4096]
    if head.count(b"\x00") * 4 >= len(head):
        raise BadInput("file looks like UTF-16 or binary data", path=path,
                       hint="convert it to UTF-8 (iconv -f UTF-16 -t UTF-8), or set the right `format`", param="format")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise BadInput("NUL byte in text", path=path, line=raw.count(b"\n", 0, nul) + 1,
                       hint="the file is corrupt or binary; re-export it as UTF-8 text")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"invalid UTF-8 at byte {exc.start}", path=path, line=raw.count(b"\n", 0, exc.start) + 1,
                       hint="re-export the file as UTF-8") from None


def retrieved_at(document: object) -> datetime | None:
    """When a stored page was fetched, as its envelope records it (influgraph's `__influgraph.retrieved_at`,
    twarc2's `__twarc.retrieved_at`), or None when it records no time (or an unreadable one).

    >>> retrieved_at({"__twarc": {"retrieved_at": "2026-10-16T00:00:00+00:00"}}).day
    16
    """
    if not isinstance(document, dict):
        return None
    for key in ("__influgraph", "__twarc"):
        envelope = document.get(key)
        text = envelope.get("retrieved_at") if isinstance(envelope, dict) else None
        if isinstance(text, str):
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def newest_retrieval(documents) -> datetime | None:
    """The newest `retrieved_at` among `documents` (None when none records one): the `observed_at` of every row
    read from a file of stored pages, the same time the crawl that stored them gave its rows, so importing a
    crawl's raw pages into its own workspace changes nothing.

    >>> newest_retrieval([{}, {"__twarc": {"retrieved_at": "2026-10-16T00:00:00Z"}}]).isoformat()
    '2026-10-16T00:00:00+00:00'
    """
    times = [when for when in map(retrieved_at, documents) if when is not None]
    return max(times) if times else None


def iso_time(column: pl.Expr) -> pl.Expr:
    """ISO 8601 text (with Z or an offset, with or without fractions) as UTC; unparsable text becomes null."""
    text = column.cast(pl.String).str.replace(r"Z$", "+00:00")
    return text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False).dt.cast_time_unit("us")


def batch_of(rows: dict[str, list[dict]]) -> Batch:
    """A Batch from row dicts per table (`accounts`, `posts`, `edges`), ISO times parsed, each table conformed.

    The platform readers that collect rows as dicts (Bluesky, Mastodon) share this last step.

    >>> batch_of({"accounts": [{"id": "a", "platform": "bluesky"}], "posts": [], "edges": []}).accounts["id"].to_list()
    ['a']
    """
    frames = {}
    for name, items in rows.items():
        if not items:
            frames[name] = empty(name)
            continue
        frame = pl.DataFrame(items, infer_schema_length=None)
        for column in ("created_at", "at"):
            if column in frame.columns:
                frame = frame.with_columns(iso_time(pl.col(column)))
        frames[name] = conform(frame, name)
    return Batch(**frames)
