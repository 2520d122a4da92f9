"""What every file reader shares: import options, the read result, and strict bad-row handling.

Bad rows are never dropped silently: a reader reports each one to `BadRows`, which raises a
one-line `BadInput` naming file:line and the reason at the first one, unless the user asked
for `--skip-bad-rows`, in which case they are counted and reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput
from ..schema import Batch

__all__ = ["ImportOptions", "ReadResult", "BadRows", "read_input_bytes", "decode_utf8"]


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
                           hint=hint or "fix the row, or pass --skip-bad-rows to skip and count bad rows")
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
    import zlib

    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise BadInput("is a folder, not a file", path=path, hint="name the files inside it") from None
    except FileNotFoundError:
        raise BadInput("no such file", path=path) from None
    except PermissionError:
        raise BadInput("permission denied", path=path) from None
    if not raw.startswith(GZIP_MAGIC):
        return raw
    out = bytearray()
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    buffer, position = raw, 0
    try:
        while True:
            if decompressor.unconsumed_tail:
                piece = decompressor.unconsumed_tail
            else:
                piece = buffer[position : position + (1 << 20)]
                position += len(piece)
                if not piece:
                    break
            out += decompressor.decompress(piece, 1 << 24)
            _check_growth(path, len(out), len(raw))
            if decompressor.eof:
                rest = decompressor.unused_data + buffer[position:]
                if not rest.startswith(GZIP_MAGIC):
                    break  # trailing bytes after the last member are ignored, as gzip(1) does
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a concatenated member follows
                buffer, position = rest, 0
    except zlib.error as exc:
        raise BadInput(f"gzip data is corrupt ({exc})", path=path, hint="re-download or re-compress the file") from None
    if not decompressor.eof:
        raise BadInput("gzip data is truncated", path=path, hint="the file was cut short; re-download it") from None
    return bytes(out)


def _check_growth(path: Path, size: int, compressed: int) -> None:
    if size > MAX_INPUT_BYTES:
        raise BadInput(f"decompresses to more than {MAX_INPUT_BYTES >> 30} GiB", path=path,
                       hint="split the file into smaller parts")
    if size > 64 * 1024**2 and size > MAX_GZIP_RATIO * max(compressed, 1):
        raise BadInput(f"gzip expands more than {MAX_GZIP_RATIO}:1 (a decompression bomb?)", path=path,
                       hint="decompress it yourself if it is genuine")


def decode_utf8(raw: bytes, path: Path | str) -> str:
    """Decode input bytes as UTF-8 (a UTF-8 BOM is dropped), refusing what is not UTF-8 text.

    Empty files, UTF-16/UTF-32, NUL bytes and invalid UTF-8 get a one-line `BadInput` naming
    the line and the fix.
    """
    import codecs

    if not raw.strip():
        raise BadInput("file is empty", path=path, hint="nothing to import; check the file")
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            raise BadInput(f"file is {name}", path=path, hint=f"convert it to UTF-8 (iconv -f {name} -t UTF-8)")
    head = raw[:4096]
    if head.count(b"\x00") * 4 >= len(head):
        raise BadInput("file looks like UTF-16 or binary data", path=path,
                       hint="convert it to UTF-8 (iconv -f UTF-16 -t UTF-8), or pass the right --format")
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
