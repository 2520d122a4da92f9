"""Tell an input file's format from its content (gzip is looked through), not from its name."""
from __future__ import annotations

import re
import zlib
from pathlib import Path

from ..errors import BadInput
from .base import GZIP_MAGIC

__all__ = ["detect_format"]

_MASTODON = re.compile(r'(?<!\\)"acct"\s*:\s*"')  # a key of every Mastodon account view (inside a string it is escaped)

_HINT = "set `format` to x-json, bluesky-json, mastodon-json, csv, tsv, parquet, snap, graphml, gexf or gml"


def _head(path: Path, size: int = 1 << 16) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(size)
    except IsADirectoryError:
        raise BadInput("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise BadInput(f"cannot read ({exc.strerror})", path=path) from None
    if raw.startswith(GZIP_MAGIC):
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
        except zlib.error:
            raise BadInput("gzip data is corrupt", path=path, hint="re-download or re-compress the file") from None
    return raw


def detect_format(path: Path) -> str:
    """The format name of `path`: x-json, bluesky-json, mastodon-json, csv, tsv, parquet, snap, graphml, gexf or gml.

    Mastodon answers are told from X pages by their keys: an account's `acct` (X users have none),
    a context's `ancestors`, or the crawler's `__mastodon` envelope.
    """
    head = _head(Path(path))
    if not head.strip():
        raise BadInput("file is empty", path=path, hint="nothing to import")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(b"\x00") * 4 >= len(head):
        raise BadInput("file is UTF-16 or binary data", path=path,
                       hint="convert text to UTF-8 (iconv -f UTF-16 -t UTF-8), or " + _HINT, param="format")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    replaced = text.count("\ufffd")
    if replaced > max(8, len(text) // 20):
        raise BadInput("cannot tell the format: this is not text", path=path, hint=_HINT, param="format")
    if text.startswith("<"):
        lowered = text[:4000].lower()
        if "<graphml" in lowered:
            return "graphml"
        if "<gexf" in lowered:
            return "gexf"
        raise BadInput("XML that is neither GraphML nor GEXF", path=path, hint=_HINT, param="format")
    if text.startswith(("{", "[")):
        first = text.split("\n", 1)[0]
        if '"__influgraph"' in first and "/xrpc/app.bsky." in first or re.match(
                r'\[?\s*\{\s*"(posts|profiles|thread|followers|follows|repostedBy|likes|subject|cursor)"', text):
            return "bluesky-json"
        if _MASTODON.search(text[:1 << 16]) or re.match(r'\[?\s*\{\s*"(__mastodon|ancestors)"', text):
            return "mastodon-json"
        return "x-json"
    if re.match(r"(Creator\s+\"[^\"]*\"\s+)?graph\s*\[", text):
        return "gml"
    lines = [line for line in text.splitlines()[:50] if line.strip() and not line.lstrip().startswith(("#", "%"))]
    if not lines:
        raise BadInput("cannot tell the format: only comments", path=path, hint=_HINT, param="format")
    first = lines[0]
    if "\t" in first:
        fields = first.split("\t")
        if len(fields) <= 3 and not _looks_like_header(fields):
            return "snap"
        return "tsv"
    if "," in first:
        return "csv"
    if 2 <= len(first.split()) <= 3 or first.split()[2:3] and first.split()[2].startswith("{"):
        return "snap"
    raise BadInput("cannot tell the format of this file", path=path, hint=_HINT, param="format")


def _looks_like_header(fields: list[str]) -> bool:
    from .tabular import _ROLES

    names = {name for names in _ROLES.values() for name in names}
    return any(field.strip().lower() in names for field in fields)
