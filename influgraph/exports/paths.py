"""Where exports are written, what their files are called, and which output paths are refused.

Rules (documented in the README):

- **Names from untrusted text** (`safe_filename`): file name stems of lower-case a-z, 0-9, '-'
  and '_' only, at most 60 characters. Niche names become file names through `results.niche_key`,
  distinct for distinct names (a plain name as is, any other its slug and a short hash).
- **Default output** (`default_out`): without `out`, an export goes to graphs/ (created), named
  after the niche or 'workspace': map-NAME.html, report/, NAME-csv/, NAME-parquet/, NAME.FORMAT.
- **Checks**, the same for every command that takes `out` (`check_file` for one-file outputs,
  `check_folder` for folder outputs; both start with `check_outside` and end with `check_parent`).
  Refused, before anything is computed or written: an empty `out`; a path that resolves (symlinks
  followed, '..' resolved) to a workspace folder or anything inside it (the workspace given, and
  any folder holding a manifest.json beside a tables/ folder); an existing folder where a file is
  expected, an existing file where a folder is expected, an existing special file (a device, a
  pipe, a socket); a parent that is a file; a missing parent folder (one-file outputs); a folder
  the user cannot write into. A write that still fails on the file system (read-only file system,
  disk full) is reported the same way by `guard_write`.
"""
from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import BadInput

__all__ = ["safe_filename", "default_out", "check_file", "check_folder", "check_parent", "check_outside",
           "guard_write", "is_workspace_folder"]

WORKSPACE_HINT = "write outside the workspace folder, e.g. `out` in the current folder"


def safe_filename(text: str, fallback: str = "item") -> str:
    """A file name stem from untrusted text: lower-case a-z, 0-9, '-' and '_' only, at most 60 characters.

    Example: ``safe_filename("Persian Books!") == "persian-books"``; ``safe_filename("..") == "item"``.
    """
    stem = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:60]
    return stem or fallback


def default_out(fmt: str, niche: str | None = None, folder: str | Path = "graphs",
                workspace: str | Path | None = None) -> Path:
    """Where an export of `fmt` goes without `out`: in `folder` (created), named after the niche or 'workspace'.

    `folder` is checked like any `out` (`check_outside`) before it is created.
    Example: ``default_out("html", "persian-books") == Path("graphs/map-persian-books.html")``.
    """
    from ..results import niche_key

    name = niche_key(niche) if niche else "workspace"
    names = {"html": f"map-{name}.html", "report": "report", "csv": f"{name}-csv", "parquet": f"{name}-parquet"}
    check_folder(Path(folder), "the default exports folder", workspace)
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / names.get(fmt, f"{name}.{fmt}")


def is_workspace_folder(folder: Path) -> bool:
    """Whether `folder` looks like an influgraph workspace (a manifest.json beside a tables/ folder)."""
    return (folder / "manifest.json").is_file() and (folder / "tables").is_dir()


def _given(out: str | Path) -> Path:
    """`out` as a Path; an empty or blank string is refused (Path("") would silently mean the current folder)."""
    if isinstance(out, str) and not out.strip():
        raise BadInput("`out` is empty", param="out", hint="name the file or folder to write")
    if "\0" in str(out):
        raise BadInput("`out` holds a NUL character", param="out", hint="name the file or folder to write")
    return Path(out)


@contextmanager
def _checking(out: str | Path) -> Iterator[None]:
    """Turn an OSError met while checking `out` (a name too long, a loop of links) into a BadInput."""
    try:
        yield
    except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError on a symlink loop
        shown = str(out) if len(str(out)) <= 120 else str(out)[:60] + "..." + str(out)[-40:]
        reason = getattr(exc, "strerror", None) or str(exc).split(":")[0]
        raise BadInput(f"`out` cannot be used: {reason}", path=shown, param="out",
                       hint="choose a shorter or simpler `out`") from None


def check_outside(out: str | Path, workspace: str | Path | None = None) -> Path:
    """Refuse `out` when it resolves into `workspace` or any workspace folder; returns `out` as a Path.

    Example: ``check_outside("ws/manifest.json", "ws")`` raises BadInput; ``check_outside("r.csv", "ws")`` passes.
    """
    path = _given(out)
    target = path.resolve()
    folders = [Path(workspace).resolve()] if workspace is not None else []
    folders += [p for p in (target, *target.parents) if is_workspace_folder(p)]
    for folder in folders:
        if target == folder or folder in target.parents:
            raise BadInput(f"`out` is inside the workspace folder {folder}, whose files only influgraph writes",
                           path=path, param="out", hint=WORKSPACE_HINT)
    return path


def _nearest_existing(folder: Path) -> Path:
    """`folder` or its nearest ancestor that exists (the file system root at worst)."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(folder.anchor or ".")


def check_parent(out: str | Path, *, create: bool = False) -> None:
    """Refuse `out` when the folder it goes into is missing (unless `create`), is a file, or is not writable."""
    out = _given(out)
    parent = out.parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        raise BadInput("a parent of `out` is a file, not a folder", path=existing, param="out",
                       hint="choose another `out`")
    if existing != parent and not create:
        raise BadInput("the folder of `out` does not exist", path=parent, param="out",
                       hint="create it first or choose another `out`")
    _probe(existing)


def _probe(folder: Path) -> None:
    """Refuse `folder` when a file cannot be created in it (permission, read-only file system, /proc...).

    The probe is an influgraph temp file (`atomic.temp_path`), created and removed at once.
    """
    from ..atomic import temp_path

    probe = temp_path(folder / ".write-probe")
    try:
        with open(probe, "xb"):
            pass
        probe.unlink()
    except FileExistsError:
        return
    except OSError as exc:
        raise BadInput(f"cannot write `out` into this folder ({exc.strerror or exc})", path=folder, param="out",
                       hint="choose a folder you can write into") from None


def _not_special(path: Path) -> None:
    if path.exists() and not (path.is_file() or path.is_dir()):
        raise BadInput("`out` names a special file (a device, pipe or socket)", path=path, param="out",
                       hint="name a regular file or folder")


def check_file(out: str | Path, what: str, ending: str, workspace: str | Path | None = None) -> Path:
    """Refuse `out` for a one-file output (`what`, e.g. "the map") by the module rules; returns it as a Path.

    Example: ``check_file("ranking.csv", "the ranking", ".csv", workspace="ws")``.
    """
    with _checking(out):
        out = check_outside(out, workspace)
        if out.is_dir():
            raise BadInput(f"`out` names a folder, but {what} is one file", path=out, param="out",
                           hint=f"name a file ending in {ending}")
        _not_special(out)
        check_parent(out)
    return out


def check_folder(out: str | Path, what: str, workspace: str | Path | None = None) -> Path:
    """Refuse `out` for a folder output by the module rules; `what` says what the folder holds. Returns it as a Path."""
    with _checking(out):
        out = check_outside(out, workspace)
        if out.exists() and not out.is_dir():
            _not_special(out)
            raise BadInput(f"`out` names a file, but {what}", path=out, param="out", hint="name a folder")
        if out.is_dir():
            _probe(out)
        else:
            check_parent(out, create=True)
    return out


@contextmanager
def guard_write(out: str | Path) -> Iterator[None]:
    """Turn a file-system failure while writing `out` (read-only, disk full, permission) into a BadInput.

    Example: ``with guard_write(out): atomic_write_bytes(out, data)``.
    """
    try:
        yield
    except (PermissionError, FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        raise BadInput(f"cannot write `out`: {exc.strerror or exc}", path=exc.filename or out, param="out",
                       hint="choose a place you can write into") from None
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENAMETOOLONG,
                             errno.EINVAL, errno.EXDEV):
            raise
        raise BadInput(f"cannot write `out`: {exc.strerror or exc}", path=exc.filename or out, param="out",
                       hint="choose a place you can write into") from None
