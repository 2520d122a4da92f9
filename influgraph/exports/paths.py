"""Where exports are written and what their files are called.

Rules (documented in the README):

- **Names from untrusted text** (`safe_filename`): niche names become file name stems of
  lower-case a-z, 0-9, '-' and '_' only, at most 60 characters.
- **Default output** (`default_out`): without `out`, an export goes to graphs/ (created), named
  after the niche or 'workspace': map-NAME.html, report/, NAME-csv/, NAME-parquet/, NAME.FORMAT.
- **Checks**: a one-file export refuses a folder and a missing parent folder (`check_file`); a
  folder export refuses an existing file (`check_folder`). Nothing is written when a check fails.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import BadInput

__all__ = ["safe_filename", "default_out", "check_file", "check_folder", "check_parent"]


def safe_filename(text: str, fallback: str = "item") -> str:
    """A file name stem from untrusted text: lower-case a-z, 0-9, '-' and '_' only, at most 60 characters.

    Example: ``safe_filename("Persian Books!") == "persian-books"``; ``safe_filename("..") == "item"``.
    """
    stem = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:60]
    return stem or fallback


def default_out(fmt: str, niche: str | None = None, folder: str | Path = "graphs") -> Path:
    """Where an export of `fmt` goes without `out`: in `folder` (created), named after the niche or 'workspace'.

    Example: ``default_out("html", "persian-books") == Path("graphs/map-persian-books.html")``.
    """
    name = safe_filename(niche, "niche") if niche else "workspace"
    names = {"html": f"map-{name}.html", "report": "report", "csv": f"{name}-csv", "parquet": f"{name}-parquet"}
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / names.get(fmt, f"{name}.{fmt}")


def check_parent(out: Path) -> None:
    """Refuse `out` when the folder it would be written into does not exist."""
    if out.parent and not out.parent.exists():
        raise BadInput("the folder does not exist", path=out.parent, param="out",
                       hint="create it first or choose another `out`")


def check_file(out: Path, what: str, ending: str) -> None:
    """Refuse `out` for a one-file export (`what`, e.g. "the map") when it is a folder or its folder is missing."""
    if out.is_dir():
        raise BadInput(f"`out` names a folder, but {what} is one file", path=out, param="out",
                       hint=f"name a file ending in {ending}")
    check_parent(out)


def check_folder(out: Path, what: str) -> None:
    """Refuse `out` for a folder export when it names an existing file; `what` says what the folder holds."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"`out` names a file, but {what}", path=out, param="out", hint="name a folder")
